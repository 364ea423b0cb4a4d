"""Bot API methods on chats and members, and the harness that changes a group around the bot."""

from __future__ import annotations

from bot.emulator._model import ApiError, EmuChat, EmuMessage, EmuUser, JSONDict
from bot.emulator._params import Params, _int
from bot.emulator._state import _EmulatorState

_ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
    "can_manage_topics": False,
}


class _ChatMethods(_EmulatorState):
    """getChat and the chat member methods; a group's upgrade, and the bot's removal and return."""

    # ----------------------------------------------------------------- harness: groups

    def migrate_to_supergroup(
        self, chat_id: int, *, by: EmuUser | None = None, notify: bool = True
    ) -> int:
        """Upgrade a basic group to a supergroup, as Telegram does; returns the new chat id.

        The supergroup (id -100…) has the same title and members, the bot with the same
        rights, and none of the old messages. The old group keeps its history but answers
        every call with 400 "group chat was upgraded" and `parameters.migrate_to_chat_id`.
        A bot in the group gets both service messages: `migrate_from_chat_id` in the new
        chat (sent by the group itself) and `migrate_to_chat_id` in the old one (by `by`,
        the creator unless told). `notify=False` loses them, as for a bot that was offline
        longer than the 24 hours Telegram keeps updates.
        """
        old = self._group(chat_id)
        if old.type != "group":
            raise ValueError(f"chat {chat_id} is a {old.type}, not a basic group")
        actor = self._actor(old, by)
        new_id = -(10**12 + next(self._supergroup_numbers))
        while new_id in self._chats:
            new_id = -(10**12 + next(self._supergroup_numbers))
        new = EmuChat(
            old.emulator,  # `self`, typed as the whole BotApiEmulator
            new_id,
            "supergroup",
            title=old.title,
            bot_is_admin=old.bot_is_admin,
            bot_can_pin=old.bot_can_pin,
            bot_present=old.bot_present,
            bot_banned=old.bot_banned,
        )
        new.members = dict(old.members)
        self._chats[new_id] = new
        old.migrated_to = new_id
        arrived = self._service(new, None, {"migrate_from_chat_id": old.id})
        left = self._service(old, actor, {"migrate_to_chat_id": new_id})
        if notify and old.bot_present:
            self._enqueue("message", arrived)
            self._enqueue("message", left)
        return new_id

    def remove_bot(
        self,
        chat_id: int,
        *,
        by: EmuUser | None = None,
        ban: bool = True,
        notify: bool = True,
    ) -> None:
        """Someone removes the bot from a group (`ban`: status "kicked", else "left").

        The bot gets `my_chat_member`; from then on every call on the group answers 403
        ("bot was kicked from the group chat", or "bot is not a member of…") and the bot
        sees nothing of the group. `notify=False` loses the update (see
        `migrate_to_supergroup`).
        """
        group = self._group(chat_id)
        if not group.bot_present:
            raise ValueError(f"the bot is not in {group.title}")
        self._bot_change(group, by, notify, bot_present=False, bot_banned=ban)

    def add_bot(
        self,
        chat_id: int,
        *,
        by: EmuUser | None = None,
        admin: bool = True,
        can_pin: bool = True,
        notify: bool = True,
    ) -> None:
        """Someone adds the bot (back) to a group, as an administrator unless told otherwise;
        the bot gets `my_chat_member`."""
        group = self._group(chat_id)
        if group.bot_present:
            raise ValueError(f"the bot is already in {group.title}")
        self._bot_change(
            group,
            by,
            notify,
            bot_present=True,
            bot_banned=False,
            bot_is_admin=admin,
            bot_can_pin=can_pin,
        )

    def set_bot_admin(
        self,
        chat_id: int,
        *,
        admin: bool = True,
        can_pin: bool = True,
        by: EmuUser | None = None,
        notify: bool = True,
    ) -> None:
        """Promote or demote the bot in a group, or change its right to pin messages; the
        bot gets `my_chat_member`. Without the right, pins answer 400 "not enough rights"."""
        group = self._group(chat_id)
        if not group.bot_present:
            raise ValueError(f"the bot is not in {group.title}")
        current = (group.bot_is_admin, group.bot_is_admin and group.bot_can_pin)
        if current == (admin, admin and can_pin):
            raise ValueError("that changes nothing: Telegram would send no update")
        self._bot_change(group, by, notify, bot_is_admin=admin, bot_can_pin=can_pin)

    def _group(self, chat_id: int) -> EmuChat:
        group = self.chat(chat_id)
        if not group.is_group:
            raise ValueError(f"chat {chat_id} is a private chat")
        if group.migrated_to is not None:
            raise ValueError(f"{group.title} was upgraded to supergroup {group.migrated_to}")
        return group

    def _actor(self, group: EmuChat, by: EmuUser | None) -> EmuUser:
        """Who acts on the group: `by`, else its creator, else an administrator or member."""
        if by is not None:
            if group.member_status(by.id) == "left":
                raise ValueError(f"{by.first_name} is not in {group.title}")
            return by
        ranked = sorted(
            group.members.items(),
            key=lambda item: ("creator", "administrator", "member").index(item[1]),
        )
        if not ranked:
            raise ValueError(f"nobody in {group.title} to do that: add members first")
        return self._users[ranked[0][0]]

    def _bot_change(self, group: EmuChat, by: EmuUser | None, notify: bool, **state: bool) -> None:
        actor = self._actor(group, by)
        old = self._bot_member(group)
        for name, value in state.items():
            setattr(group, name, value)
        if notify:
            self._enqueue(
                "my_chat_member",
                {
                    "chat": group.to_dict(),
                    "from": actor.to_dict(),
                    "date": self._now(),
                    "old_chat_member": old,
                    "new_chat_member": self._bot_member(group),
                },
            )

    def _service(self, chat: EmuChat, sender: EmuUser | None, fields: JSONDict) -> JSONDict:
        message = EmuMessage(chat, chat._next_id(), sender, self._now(), service=fields)
        chat._append(message)
        return message.to_dict()

    # ----------------------------------------------------------------- methods: chats

    def _get_chat(self, params: Params) -> JSONDict:
        chat = self._chat(params)
        return {
            **chat.to_dict(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _bot_member(self, chat: EmuChat) -> JSONDict:
        """The bot's ChatMember object in this chat, whatever its standing."""
        status = chat.bot_status
        member: JSONDict = {"status": status, "user": self.bot_user}
        if status == "administrator":
            member.update(_ADMIN_RIGHTS, can_pin_messages=chat.bot_can_pin)
        elif status == "kicked":
            member["until_date"] = 0  # banned for ever, until someone adds it back
        return member

    def _member(self, chat: EmuChat, user_id: int) -> JSONDict:
        if user_id == self.bot_id:
            return self._bot_member(chat)
        user = self._users.get(user_id)
        if user is None:
            raise ApiError(400, "Bad Request: user not found")
        status = chat.member_status(user_id)
        if status == "creator":
            return {"status": "creator", "user": user.to_dict(), "is_anonymous": False}
        if status == "administrator":
            return {"status": "administrator", "user": user.to_dict(), **_ADMIN_RIGHTS}
        return {"status": status, "user": user.to_dict()}

    def _get_chat_member(self, params: Params) -> JSONDict:
        chat = self._chat(params)
        user_id = _int(params, "user_id")
        if user_id is None:
            raise ApiError(400, "Bad Request: user_id is empty")
        return self._member(chat, user_id)

    def _get_chat_administrators(self, params: Params) -> list[JSONDict]:
        chat = self._chat(params)
        if not chat.is_group:
            raise ApiError(400, "Bad Request: there are no administrators in the private chat")
        admins = [
            self._member(chat, user_id)
            for user_id, status in chat.members.items()
            if status in ("creator", "administrator")
        ]
        if chat.bot_status == "administrator":
            admins.append(self._member(chat, self.bot_id))
        return admins

    def _get_chat_member_count(self, params: Params) -> int:
        chat = self._chat(params)
        return len(chat.members) + 1 if chat.is_group else 2
