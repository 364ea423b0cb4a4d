"""From an update to an action: commands by the table, dialogue answers, buttons by prefix."""

from __future__ import annotations

import contextlib
import difflib
import html
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.error import TelegramError

from boards import queries
from boards.errors import BadInput, Conflict, Forbidden, WardError
from boards.text import clean_text, is_number
from bot.dialogue import CANCEL, Dialogue, Kind, check_answer, keyboard, parse_answer
from bot.flood import admit
from bot.runtime import WardContext
from bot.table import COMMANDS, Command, Where, command
from bot.turn import Turn, turn

__all__ = [
    "button_handler",
    "command_handler",
    "on_card_button",
    "on_dialogue_button",
    "on_other_button",
    "on_text",
    "on_unknown_command",
    "run_command",
]

Handler = Callable[[Update, WardContext], Coroutine[Any, Any, None]]


def command_handler(name: str) -> Handler:
    """The PTB callback for one command of the table."""
    spec = command(name)

    async def handle(update: Update, context: WardContext) -> None:
        if not await admit(update, context):
            return
        # A word made only of invisible characters is not one the nurse sees: dropped. The
        # others go on as typed, for each parser to clean (boards.text) or refuse.
        args = [a for a in context.args or [] if clean_text(a)]
        async with turn(update, context, name) as tn:
            await run_command(tn, spec, args)

    return handle


async def run_command(tn: Turn, spec: Command, args: list[str]) -> None:
    if spec.where is Where.PRIVATE and not tn.private:
        # The group is not a private place: say so briefly, show nothing.
        raise Forbidden("err.private_details", command=spec.name)
    if spec.where is Where.GROUP and tn.private:
        raise Forbidden("err.group_only")
    if not args and spec.steps is not None:
        if not tn.private:
            raise BadInput("err.missing_args")
        ward, _ = await tn.ward()
        dialogue = await tn.runtime.dialogues.start(
            tn.uow, tn.chat_id, spec.name, ward.id, spec.steps
        )
        await tn.commit()  # the dialogue is kept whatever the question's reply meets
        await _ask(tn, dialogue)
        return
    if await tn.runtime.dialogues.end(tn.uow, tn.chat_id) is not None:
        await tn.commit()  # a typed command ends the open dialogue, even if it is refused
    await spec.action(tn, args)


async def on_unknown_command(update: Update, context: WardContext) -> None:
    """`/dischage 12`: name the closest command instead of staying silent."""
    message = update.effective_message
    if message is None or not message.text or not await admit(update, context):
        return
    word = message.text.split()[0][1:].split("@")[0].lower()
    async with turn(update, context, None) as tn:
        if not tn.private:
            # In the group only members hear back (and only about real commands).
            return
        close = difflib.get_close_matches(word, [c.name for c in COMMANDS], n=1, cutoff=0.6)
        if close:
            await tn.reply(tn.t("unknown.close", command=close[0]))
        else:
            await tn.reply(tn.t("unknown.none", command=html.escape(word[:32])))


# --- dialogues -----------------------------------------------------------------------------


async def _ask(tn: Turn, dialogue: Dialogue) -> None:
    tn.pin_ward(dialogue.ward_id)
    ward, _ = await tn.ward()
    if dialogue.done:
        await tn.runtime.dialogues.end(tn.uow, tn.chat_id)
        tn.command = dialogue.command
        # The patient answered for at the first step must still be the one in that bed.
        await tn.expect_stays(ward, dialogue.expected)
        await command(dialogue.command).action(tn, dialogue.args)
        return
    step = dialogue.step
    # Once a patient is chosen, every question names the bed it is about.
    about = "".join(f"{tn.t.bed(bed)} · " for bed in dialogue.expected)
    beds: list[tuple[str, int]] = []
    if step.kind is Kind.OCCUPIED_BED:
        beds = [(s.bed, s.id) for s in await queries.patients(tn.uow, ward_id=ward.id)]
        if not beds:
            await tn.runtime.dialogues.end(tn.uow, tn.chat_id)
            await tn.commit()
            await tn.reply(tn.t("dialogue.no_patients"))
            return
    await tn.reply(
        about + tn.t(step.prompt), markup=keyboard(step, tn.t, ward_id=ward.id, beds=beds)
    )


async def _answer(tn: Turn, answer: str | None, *, stay_id: int | None = None) -> None:
    dialogue = await tn.runtime.dialogues.get(tn.uow, tn.chat_id)
    if dialogue is None:
        await tn.reply(tn.t("dialogue.none"))
        return
    tn.command = dialogue.command
    tn.pin_ward(dialogue.ward_id)
    ward, _ = await tn.ward()
    step = dialogue.step
    if answer is None:
        if not step.optional:
            raise BadInput("err.text_empty")
        dialogue.give(None)
        await tn.runtime.dialogues.save(tn.uow, tn.chat_id, dialogue)
        await tn.commit()
        await _ask(tn, dialogue)
        return
    try:
        value = check_answer(
            step, answer, bed_count=ward.bed_count, t=tn.t, now=tn.runtime.clock.now()
        )
    except WardError as error:
        # Ask the same question again rather than dropping what was already given.
        await tn.reply(f"{tn.explain(error)}\n{tn.t(step.prompt)}")
        return
    if step.kind is Kind.OCCUPIED_BED:
        stay = await queries.in_bed(tn.uow, ward_id=ward.id, bed=value)
        if stay is None:
            await tn.reply(f"{tn.t('err.bed_empty', bed=value)}\n{tn.t(step.prompt)}")
            return
        if stay_id is not None and stay.id != stay_id:
            # The button was drawn for a patient who is no longer in that bed.
            await tn.runtime.dialogues.end(tn.uow, tn.chat_id)
            tn.drop_dialogue = True  # ended even though the refusal rolls the turn back
            raise Conflict("err.bed_changed", bed=value)
        dialogue.expected[value] = stay.id
    dialogue.give(value)
    await tn.runtime.dialogues.save(tn.uow, tn.chat_id, dialogue)
    await tn.commit()
    await _ask(tn, dialogue)


async def on_text(update: Update, context: WardContext) -> None:
    """Plain text in a private chat answers the open dialogue's question."""
    message = update.effective_message
    if message is None or message.text is None or not await admit(update, context):
        return
    async with turn(update, context, None) as tn:
        if await tn.runtime.dialogues.get(tn.uow, tn.chat_id) is None:
            await tn.reply(tn.t("text.unknown"))
            return
        await _answer(tn, message.text)


async def on_dialogue_button(tn: Turn, data: str) -> None:
    """`d:…`: an answer button; it must belong to the dialogue open in this chat."""
    tn.answer_press_later()
    if data == CANCEL:
        await tn.runtime.dialogues.end(tn.uow, tn.chat_id)
        await tn.commit()
        await tn.reply(tn.t("dialogue.cancelled"))
        return
    answer = parse_answer(data)
    dialogue = await tn.runtime.dialogues.get(tn.uow, tn.chat_id)
    if answer is None or dialogue is None or dialogue.ward_id != answer.ward_id:
        # A button of a finished or other dialogue (or a forged one) answers nothing.
        tn.answer_press()
        await tn.reply(tn.t("dialogue.stale"))
        return
    await _answer(tn, answer.value, stay_id=answer.stay_id)


async def on_card_button(tn: Turn, data: str) -> None:
    """`g:<command>:<ward>:<stay>:<bed>`: a card's button starts that command for that
    patient, in that bed: if either changed since the card was drawn, nothing happens."""
    tn.answer_press_later()
    parts = data.split(":")
    if len(parts) != 5 or not is_number(parts[2]) or not is_number(parts[3]):
        raise Forbidden("err.not_member")
    _, name, ward_id, stay_id, bed = parts
    spec = next((c for c in COMMANDS if c.name == name and c.steps), None)
    if spec is None or spec.steps is None:
        raise Forbidden("err.not_member")
    tn.pin_ward(int(ward_id))
    ward, _ = await tn.ward()
    stay = await queries.stay(tn.uow, stay_id=int(stay_id))
    if stay is None or stay.ward_id != ward.id:
        raise Forbidden("err.not_member")
    if not stay.active or stay.bed != bed:
        raise Conflict("err.bed_changed", bed=bed[:16])
    tn.command = spec.name
    dialogue = await tn.runtime.dialogues.start(
        tn.uow, tn.chat_id, spec.name, ward.id, spec.steps, [stay.bed], {stay.bed: stay.id}
    )
    await tn.commit()
    await _ask(tn, dialogue)


# --- buttons -------------------------------------------------------------------------------

Button = Callable[[Turn, str], Coroutine[Any, Any, None]]


def button_handler(action: Button) -> Handler:
    """A PTB callback for one kind of button: one turn, refusals shown on the press too."""

    async def handle(update: Update, context: WardContext) -> None:
        query = update.callback_query
        if query is None or query.data is None or not await admit(update, context):
            return
        async with turn(update, context, None) as tn:
            try:
                await action(tn, query.data)
            except WardError as error:
                # Shown on the press itself; a press already answered keeps the chat reply. A
                # press the turn answers is answered when the turn ends: by the alert in a
                # group, plainly in her own chat (the turn's refusal is her chat's reply).
                text = tn.explain(error)[:190]
                if not tn.answers_press:
                    with contextlib.suppress(TelegramError):
                        await query.answer(text, show_alert=True)
                elif not tn.private:
                    tn.refuse_press(text)
                if tn.private:
                    raise
                # In a group only the presser reads it: the group is not told of every
                # mistaken or stale press (nothing was kept: the turn was not committed).

    return handle


async def on_other_button(update: Update, context: WardContext) -> None:
    """A button of no known kind (an old message, a forged press): answered, nothing done."""
    if update.callback_query is not None:
        await update.callback_query.answer()
