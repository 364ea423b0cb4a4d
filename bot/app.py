"""Builds the PTB Application: every handler registered here, in order, as one readable table."""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    BaseRateLimiter,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)

from boards.clock import SystemClock
from boards.i18n import LOCALES, texts
from boards.ports import Clock
from bot.census import IMPORT_PREFIX, on_document, on_import_button, sweep_imports
from bot.config import Settings
from bot.dialogue_store import Dialogues
from bot.group_watch import CHECK_SECONDS, check_groups, on_migrate, on_my_chat_member
from bot.handlers import on_error, ward_button
from bot.handover import on_handover_button
from bot.hl7.feed import HisFeed
from bot.membership import on_join_button, on_member_button
from bot.publisher import BoardPublisher
from bot.purge import DailyRetention
from bot.ratelimit import PriorityRateLimiter
from bot.reminders import dispatch_tick, on_task_button
from bot.request import JsonRequest
from bot.routing import (
    button_handler,
    command_handler,
    on_card_button,
    on_dialogue_button,
    on_other_button,
    on_text,
    on_unknown_command,
)
from bot.runtime import RUNTIME_KEY, SCREEN_KEY, Runtime, WardApplication, WardContext
from bot.table import COMMANDS, MENU, command
from bot.transfers import on_transfer_button
from bot.web import ScreenServer
from bot.webhook import health_check, install_webhook
from storage.uow import Database

__all__ = ["ALLOWED_UPDATES", "MENU", "build_application", "quiet_noisy_loggers", "serving"]

log = logging.getLogger(__name__)

_DAY_CHECK_SECONDS = 300

# Buttons by the prefix of their callback data, each kind routed to its feature.
_BUTTONS = (
    (r"^d:", on_dialogue_button),
    (r"^g:", on_card_button),
    (r"^h:", on_handover_button),
    (r"^t:", on_task_button),
    (r"^j:", on_join_button),
    (r"^m:", on_member_button),
    (r"^w:", ward_button),
    (r"^x", on_transfer_button),
    (rf"^{IMPORT_PREFIX}", on_import_button),
)


# my_chat_member: the bot removed from a ward group, added back, or its rights changed.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]


def quiet_noisy_loggers(*, log_api: bool = False) -> None:
    """Keep the token and patient data out of library logs; `log_api` lets PTB's DEBUG out."""
    # httpx logs every request URL, and the URL contains the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # The database drivers log each statement with its parameters at DEBUG (SQLAlchemy at
    # INFO): names and diagnoses. No setting lets those through.
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
    logging.getLogger("asyncpg").setLevel(logging.INFO)
    # At DEBUG, PTB logs each Bot API call with its parameters: message texts, names.
    # Its loggers (telegram.Bot, telegram.ext.ExtBot, ...) inherit this level unless one was
    # given a level of its own, which is capped here too.
    telegram = logging.getLogger("telegram")
    telegram.setLevel(logging.NOTSET if log_api else logging.INFO)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if (
            not log_api
            and name.startswith("telegram.")
            and isinstance(logger, logging.Logger)
            and logging.NOTSET < logger.level < logging.INFO
        ):
            logger.setLevel(logging.INFO)


def build_application(
    settings: Settings,
    *,
    database: Database,
    clock: Clock | None = None,
    own_database: bool = False,
    rate_limiter: BaseRateLimiter[Any] | None = None,
) -> WardApplication:
    """The real bot. `database` must already be migrated; `own_database` disposes it at stop.

    `rate_limiter` replaces the one matching Telegram's limits (benchmarks, scaled tests).
    """
    if settings.token is None:
        raise ValueError("WARDBOARD_TOKEN is not set")
    quiet_noisy_loggers(log_api=settings.log_api)
    root = settings.bot_api_url
    application: WardApplication = (
        Application.builder()
        .token(settings.token.get_secret_value())
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .context_types(ContextTypes(context=WardContext))
        # Every text we send is HTML, escaped where it echoes what someone typed: said once
        # here, not at each send. Something sent as plain text says parse_mode=None.
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .rate_limiter(rate_limiter or PriorityRateLimiter(max_retries=5))
        # PTB's pool size for the bot's requests (not getUpdates'), sent as JSON.
        .request(JsonRequest(connection_pool_size=256))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    clock = clock or SystemClock()
    application.bot_data[RUNTIME_KEY] = Runtime(
        settings=settings,
        uow_factory=database.uow,
        clock=clock,
        publisher=BoardPublisher(
            uow_factory=database.uow,
            clock=clock,
            bot=lambda: application.bot,
            delay=settings.board_delay,
            min_interval=settings.board_min_interval,
        ),
        dialogues=Dialogues(lambda name: command(name).steps),
        extras={"database": database, "own_database": own_database},
    )
    _screen_server(application, settings, database, clock)
    for spec in COMMANDS:
        application.add_handler(CommandHandler(spec.name, command_handler(spec.name)))
    application.add_handler(MessageHandler(filters.COMMAND, on_unknown_command))
    for pattern, action in _BUTTONS:
        application.add_handler(CallbackQueryHandler(button_handler(action), pattern=pattern))
    application.add_handler(CallbackQueryHandler(on_other_button))
    application.add_handler(
        MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, on_text)
    )
    # A census file sent after /import (bot/census.py).
    application.add_handler(
        MessageHandler(filters.Document.ALL & filters.ChatType.PRIVATE, on_document)
    )
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate))
    application.add_handler(ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_error_handler(on_error)
    return application


def _screen_server(
    application: WardApplication, settings: Settings, database: Database, clock: Clock
) -> None:
    """The station screens' web server, when WARDBOARD_HTTP_LISTEN is set."""
    address = settings.http_address()
    if address is None or settings.token is None:
        return
    runtime = _runtime(application)
    server = ScreenServer(
        host=address[0],
        port=address[1],
        public_url=settings.public_url,
        uow_factory=database.uow,
        clock=clock,
        bot_token=settings.token.get_secret_value(),
        default_locale=settings.locale,
        webapp_max_age=settings.webapp_max_age,
    )
    runtime.extras[SCREEN_KEY] = server
    runtime.publisher.listeners.append(server.notifier.changed)
    server.health = health_check(runtime, database, settings)
    if settings.webhook_url:
        install_webhook(server, application, settings)


def _on_the_beat(interval: float) -> float:
    """Seconds to the next multiple of `interval` on the wall clock, and a hair: the ticks
    fall just after each minute begins, so the 08:00 reminders leave at 08:00:00, not up to
    a whole interval later."""
    return interval - time.time() % interval + 0.02


def _runtime(application: Application[Any, Any, Any, Any, Any, Any]) -> Runtime:
    runtime = application.bot_data[RUNTIME_KEY]
    assert isinstance(runtime, Runtime)
    return runtime


async def _post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    runtime = _runtime(application)
    default = texts(runtime.settings.locale)
    await application.bot.set_my_commands(
        [BotCommand(name, default(f"menu.{name}")) for name in MENU]
    )
    for locale in LOCALES:
        t = texts(locale)
        await application.bot.set_my_commands(
            [BotCommand(name, t(f"menu.{name}")) for name in MENU],
            language_code=locale.split("_")[0],
        )
    if application.job_queue is not None:
        interval = runtime.settings.dispatch_seconds
        beat = _on_the_beat(interval)
        # A tick that finds the last one still sending returns at once (dispatch_tick), so
        # the scheduler may start it: no "maximum number of running instances" warnings
        # while an 08:00 round outlasts the interval.
        overlap = {"max_instances": 2}
        if beat > 1.0:
            # What fell due while the bot was down goes out now, not at the first beat.
            application.job_queue.run_once(
                dispatch_tick, when=0.5, name="reminders-start", job_kwargs=overlap
            )
        application.job_queue.run_repeating(
            dispatch_tick, interval=interval, first=beat, name="reminders", job_kwargs=overlap
        )
        application.job_queue.run_repeating(
            _refresh_boards,
            interval=_DAY_CHECK_SECONDS,
            first=_DAY_CHECK_SECONDS,
            name="board-day-check",
        )
        application.job_queue.run_repeating(
            check_groups, interval=CHECK_SECONDS, first=CHECK_SECONDS, name="group-check"
        )
    server = runtime.extras.get(SCREEN_KEY)
    if isinstance(server, ScreenServer):
        await server.start()
    # After a restart every board is posted or edited once: a board deleted while the
    # bot was down comes back.
    await runtime.publisher.refresh_stale_days()
    if runtime.settings.hl7_listen:
        # The HIS feed runs in the bot's own event loop: its changes refresh the boards
        # through the same publisher.
        database = runtime.extras["database"]
        feed = HisFeed(
            uow_factory=runtime.uow_factory,
            clock=runtime.clock,
            changed=runtime.publisher.request,
            bot=lambda: application.bot,
            serial=isinstance(database, Database) and database.one_writer,
        )
        await feed.listen(runtime.settings.hl7_listen)
        runtime.extras["hl7"] = feed
    settle_heap()


@functools.cache
def settle_heap() -> None:
    """Once a process, when the bot has started: what it built to start (its modules, PTB,
    SQLAlchemy and their caches: some 150,000 objects) lives as long as the process, so it
    is kept out of the cyclic collector's full passes. Otherwise each full pass walks all of
    it: 100 ms measured, landing on whichever command or 08:00 round is running (10 ms
    after). Objects made later are collected as before."""
    gc.collect()
    gc.freeze()


async def _refresh_boards(context: WardContext) -> None:
    runtime = context.runtime
    await runtime.publisher.refresh_stale_days()
    # Census files nobody confirmed do not stay in the database past their half hour.
    await sweep_imports(runtime)
    # Each ward's retention, once its day has begun (claimed: one instance applies it).
    retention = runtime.extras.get("retention")
    if not isinstance(retention, DailyRetention):
        retention = runtime.extras["retention"] = DailyRetention(runtime)
    await retention.run_once()


async def _post_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    runtime = _runtime(application)
    server = runtime.extras.get(SCREEN_KEY)
    if isinstance(server, ScreenServer):
        await server.stop()
    feed = runtime.extras.pop("hl7", None)
    if isinstance(feed, HisFeed):
        await feed.close()
    await runtime.publisher.close()
    if runtime.extras.get("own_database"):
        database = runtime.extras["database"]
        assert isinstance(database, Database)
        await database.dispose()


@contextlib.asynccontextmanager
async def serving(
    application: WardApplication, *, poll_interval: float = 0.0, poll_timeout: int = 10
) -> AsyncIterator[WardApplication]:
    """Long-poll (or, with WARDBOARD_WEBHOOK_URL, take Telegram's posts) until the block
    ends, running post_init and post_shutdown like run_polling."""
    async with application:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        settings = _runtime(application).settings
        assert application.updater is not None
        if settings.webhook_url:
            # Telegram posts to our web server (started in post_init); the webhook stays set
            # when this instance stops: another behind the same URL goes on serving it.
            assert settings.webhook_secret is not None
            await application.bot.set_webhook(
                settings.webhook_url,
                secret_token=settings.webhook_secret.get_secret_value(),
                allowed_updates=ALLOWED_UPDATES,
            )
        else:
            await application.updater.start_polling(
                poll_interval=poll_interval, timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES
            )
        try:
            yield application
        finally:
            if application.updater.running:
                await application.updater.stop()
            await application.stop()
            if application.post_shutdown is not None:
                await application.post_shutdown(application)
