"""Bot API file handling: uploads stored as the Bot API describes them, and getFile."""

from __future__ import annotations

import io
import mimetypes
from pathlib import PurePosixPath

from PIL import Image, UnidentifiedImageError

from bot.emulator._model import ApiError, EmuFile, JSONDict, Upload
from bot.emulator._params import Params, _str
from bot.emulator._state import _EmulatorState


class _FileMethods(_EmulatorState):
    """Files the bot sends (photos, documents) and getFile; the download is in `_server`."""

    def _input_file(self, params: Params, key: str) -> EmuFile:
        value = params.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://") :])
        if isinstance(value, Upload):
            return self._store(value, key)
        if isinstance(value, str) and value:
            known = self._files.get(value)
            if known is None:
                # No network here: URLs and foreign file ids cannot be fetched.
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            return known
        raise ApiError(400, f"Bad Request: there is no {key} in the request")

    def _store(self, upload: Upload, kind: str) -> EmuFile:
        if not upload.data:
            raise ApiError(400, "Bad Request: file must be non-empty")
        width = height = 0
        if kind == "photo":
            try:
                with Image.open(io.BytesIO(upload.data)) as image:
                    width, height = image.size
            except (UnidentifiedImageError, OSError, ValueError):
                raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED") from None
        number = next(self._file_numbers)
        mime = upload.mime_type
        if not mime or mime == "application/octet-stream":
            mime = mimetypes.guess_type(upload.filename or "")[0] or mime
        suffix = PurePosixPath(upload.filename or "").suffix or (
            mimetypes.guess_extension(mime or "") or ""
        )
        folder = "photos" if kind == "photo" else "documents"
        stored = EmuFile(
            file_id=f"EMU{kind[:3].upper()}{self.bot_id}x{number:06d}",
            file_unique_id=f"EMUU{number:06d}",
            file_path=f"{folder}/file_{number}{suffix}",
            filename=upload.filename,
            mime_type=mime,
            data=upload.data,
            width=width,
            height=height,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _get_file(self, params: Params) -> JSONDict:
        stored = self._files.get(_str(params, "file_id") or "")
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return stored.file_dict()
