"""Traditional Chinese (Hong Kong, Taiwan): replies, the ward language, words typed either way."""

from __future__ import annotations

from tests.bot.conftest import Ward


async def test_a_nurse_whose_telegram_is_in_traditional_chinese_reads_it(ward: Ward) -> None:
    await ward.ready()
    hk = ward.emu.add_user(520, "陳美玲", language_code="zh-hant")
    reply = await ward.reply(hk, "/help")
    assert reply.startswith("常用命令")
    assert "護理長" in reply or "病房" in reply
    assert "护" not in reply and "病区" not in reply
    # /lang switches either way, and says so in the language chosen.
    assert await ward.reply(hk, "/lang zh") == "已切换为简体中文。"
    assert await ward.reply(hk, "/lang 繁體") == "已切換為繁體中文。"


async def test_the_head_nurse_sets_the_wards_language_and_the_board_follows(ward: Ward) -> None:
    await ward.ready()
    await ward.say(ward.nurse, "/admit 12 張三 男 45 闌尾炎 二級")
    assert "原有 0" in (await ward.board()).text
    # Words a command knows are read in either script: 二級, 藥物過敏, 防墜床, 留置針, 後天.
    assert (await ward.reply(ward.nurse, "/tag 12 藥物過敏 青黴素")).startswith("✅")
    assert (await ward.reply(ward.nurse, "/tag 12 防墜床")).startswith("✅")
    assert (await ward.reply(ward.nurse, "/surgery 12 後天上午9點 腹腔鏡闌尾切除術")).startswith(
        "✅ 已登记手术：12床 張三"
    )
    refused = await ward.reply(ward.nurse, "/policy lang tw")
    assert refused.startswith("只有护士长")
    done = await ward.reply(ward.head, "/policy lang tw")
    assert done.startswith("✅ 病区语言已设为繁體中文")
    board = (await ward.board()).text
    assert "現有" in board and "现有" not in board
    assert "【入院】\n12床 張* 男 45歲 二級護理" in board
    # The domain's own names (tags, lines) are drafted in Traditional too, not left Simplified.
    assert "【警示標識】\n防墜床 1 · 過敏 1\n12床 張* 防墜床 · 過敏" in board
    # Private replies keep each nurse's own language; the policy shows the ward's.
    assert "病区语言：繁體中文" in await ward.reply(ward.head, "/policy")
    assert (await ward.reply(ward.head, "/policy lang 火星文")).startswith("请写 zh（简体中文）")
