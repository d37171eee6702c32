"""The fake Slack's file uploads, as files.uploadV2 (slack_sdk's files_upload_v2) drives them.

files.getUploadURLExternal hands out an upload URL and a file id for a filename and a length; the bytes are POSTed
to that URL (served here, as Slack serves them on files.slack.com) and must be exactly that long; then
files.completeUploadExternal finishes the files, sharing them in a channel or in none. A message may show a file
in an image block by its slack_file id only once the upload is complete, as Slack refuses an unknown file.
"""

from __future__ import annotations

import json
from typing import Any

from bot.sim.fake_validate import Refusal
from bot.sim.fake_wire import ApiError, missing

UPLOAD_PREFIX = "/upload/v1/"
# Slack's largest upload is 1 GB; a chart is far below, and a test sends nothing near this.
MAX_UPLOAD_BYTES = 1_000_000_000


class FileMethods:
    """files.getUploadURLExternal, the upload URL, files.completeUploadExternal and image blocks' slack_file check."""

    def uploaded_file(self, file_id: str) -> bytes | None:
        """The bytes of a completed upload, or None."""
        with self._lock:
            found = self._files.get(file_id)
            return found["data"] if found and found["complete"] else None

    def _files_get_upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        filename = str(params.get("filename") or "")
        if not filename:
            raise missing("filename")
        try:
            length = int(str(params.get("length") or ""))
        except ValueError:
            raise ApiError("invalid_arguments", detail="[ERROR] length must be an integer") from None
        if not 0 < length <= MAX_UPLOAD_BYTES:
            raise ApiError("invalid_arguments", detail="[ERROR] length must be between 1 and 1000000000")
        file_id = f"F{len(self._files) + 1:010d}"
        self._files[file_id] = {"id": file_id, "name": filename, "length": length, "data": None, "complete": False,
                                "title": filename, "channels": []}
        return {"upload_url": f"http://127.0.0.1:{self.port}{UPLOAD_PREFIX}{file_id}", "file_id": file_id}

    def _answer_upload(self, path: str, body: bytes) -> tuple[int, str]:
        """The HTTP status and text a POST of the bytes to an upload URL gets."""
        with self._lock:
            found = self._files.get(path[len(UPLOAD_PREFIX):])
            if found is None or found["data"] is not None:
                return 404, "upload URL not found or already used"
            if len(body) != found["length"]:
                return 400, f"expected {found['length']} bytes, got {len(body)}"
            found["data"] = bytes(body)
            return 200, f"OK - {len(body)}"

    def _files_complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        raw = params.get("files")
        try:
            files = json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError:
            raise ApiError("invalid_arguments", detail="[ERROR] files must be a JSON array") from None
        if not isinstance(files, list) or not files or not all(isinstance(f, dict) for f in files):
            raise ApiError("invalid_arguments", detail="[ERROR] files must be a non-empty array of {id, title}")
        channel = params.get("channel_id")
        if channel:
            channel = self._resolve_channel(str(channel))
        done = []
        for item in files:
            found = self._files.get(str(item.get("id") or ""))
            if found is None or found["data"] is None:
                # Slack's answer for an id it never issued, or whose bytes never arrived.
                raise ApiError("file_not_found")
            found["complete"] = True
            found["title"] = str(item.get("title") or found["name"])
            if channel:
                found["channels"].append(channel)
            done.append({"id": found["id"], "name": found["name"], "title": found["title"], "mimetype":
                         "image/png" if found["name"].endswith(".png") else "application/octet-stream",
                         "size": found["length"], "channels": list(found["channels"])})
        return {"files": done}

    def _slack_file_refusal(self, blocks: Any) -> Refusal | None:
        """invalid_blocks for an image block whose slack_file is not a completed upload."""
        for index, block in enumerate(blocks if isinstance(blocks, list) else ()):
            if not isinstance(block, dict) or block.get("type") != "image" or "slack_file" not in block:
                continue
            slack_file = block.get("slack_file")
            file_id = slack_file.get("id") if isinstance(slack_file, dict) else None
            found = self._files.get(str(file_id or ""))
            if found is None or not found["complete"]:
                return Refusal("invalid_blocks", (f"[ERROR] invalid slack file [json-pointer:/blocks/{index}/slack_file]",))
        return None
