"""YouTube Data API v3 calls: the request bodies, the resumable upload, captions and
the thumbnail, through google-api-python-client.

The API description comes from the discovery document inside the
google-api-python-client wheel (``static_discovery=True``): building the client needs
no network, so the dry-run builds the very requests the real run sends. The API root
is the recipe's ``api_url`` (``client_options.api_endpoint``), which lets tests point
everything at a local fake server.

The video upload is Google's resumable protocol, driven here rather than by
``HttpRequest.execute`` for one reason: the session URI must be in the ledger before
the first byte goes out, so that a crash mid-upload resumes that session instead of
starting a second video. So this module opens the session itself (the same POST
``next_chunk`` would send), hands the URI to the caller to record, and only then sends
chunks with ``next_chunk``. A session found in the ledger is asked for its state
(an empty ``PUT`` with ``Content-Range: bytes */size``): 308 + ``Range`` says how many
bytes arrived, 200/201 carries the finished video (the crash came after the last
chunk), 404/410 says the session expired before it finished.
"""

from __future__ import annotations

import errno
import http.client
import json
import logging
import socket
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shortfactory.core.errors import ShortfactoryError
from shortfactory.core.recipe_release import PublishSection
from shortfactory.release.backoff import Backoff, describe, retrying
from shortfactory.release.plan import Short

if TYPE_CHECKING:
    from googleapiclient.discovery import Resource
    from googleapiclient.http import HttpRequest

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({500, 502, 503, 504})
_DROPPED = frozenset({errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE, errno.ETIMEDOUT})
KIB = 1024
VIDEO_PARTS = "snippet,status"


class PublishError(ShortfactoryError):
    """A request YouTube refused, or one that kept failing after its retries."""


@dataclass(slots=True)
class Call:
    """One API request as it will be sent, for the dry-run and the log."""

    name: str
    method: str
    uri: str
    body: dict[str, Any] | None
    file: Path
    size: int


# --- the client -----------------------------------------------------------------------


def client(section: PublishSection, http: Any | None = None) -> Resource:
    """The ``youtube`` v3 client on the recipe's API root; offline to build.

    Without ``http`` it is unauthenticated (the dry-run only builds requests).
    """
    from googleapiclient.discovery import build
    from googleapiclient.http import build_http

    if http is None:
        http = build_http()
    return build("youtube", "v3", http=http, static_discovery=True, cache_discovery=False,
                 client_options={"api_endpoint": section.api_url})


def authorized_http(credentials: Any, timeout_s: float) -> Any:
    """httplib2 with the OAuth header (refreshed on 401), the socket timeout, and 308
    kept as a status rather than followed as a redirect (``build_http`` does that)."""
    from google_auth_httplib2 import AuthorizedHttp
    from googleapiclient.http import build_http

    http = build_http()
    http.timeout = timeout_s
    return AuthorizedHttp(credentials, http=http)


def on_endpoint(request: HttpRequest, api_url: str) -> HttpRequest:
    """Point a media request at ``api_url``'s scheme and host.

    googleapiclient moves media upload URLs to an overridden endpoint's host but keeps
    ``https``; a plain-http endpoint (a local test server) needs the scheme too.
    """
    root = urllib.parse.urlsplit(api_url)
    uri = urllib.parse.urlsplit(request.uri)
    request.uri = urllib.parse.urlunsplit(uri._replace(scheme=root.scheme, netloc=root.netloc))
    return request


# --- request bodies ---------------------------------------------------------------------


def video_body(short: Short, section: PublishSection,
               publish_at: datetime | None) -> dict[str, Any]:
    """The videos.insert resource: snippet (text, category) and status (privacy, time).

    The hashtags go at the end of the description (where YouTube shows them above the
    title) unless the description already has them. A publish time uploads private:
    YouTube makes the video public at ``publishAt``.
    """
    meta = short.meta
    tags = [h for h in meta.hashtags if h.lower() not in meta.description.lower()]
    description = meta.description + ("\n\n" + " ".join(tags) if tags else "")
    status: dict[str, Any] = {"privacyStatus": section.privacy,
                              "selfDeclaredMadeForKids": section.made_for_kids}
    if publish_at is not None:
        status.update(privacyStatus="private", publishAt=_rfc3339(publish_at))
    return {"snippet": {"title": meta.title, "description": description.strip(),
                        "tags": list(meta.tags), "categoryId": section.category_id,
                        "defaultLanguage": section.language,
                        "defaultAudioLanguage": section.language},
            "status": status}


def caption_body(video_id: str, section: PublishSection) -> dict[str, Any]:
    """The captions.insert resource: a published (not draft) track in the language."""
    return {"snippet": {"videoId": video_id, "language": section.language,
                        "name": section.caption_name, "isDraft": False}}


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


# --- requests ---------------------------------------------------------------------------


def insert_request(youtube: Resource, short: Short, body: dict[str, Any],
                   section: PublishSection) -> HttpRequest:
    """videos.insert as a chunked resumable upload."""
    media = _chunked_file(short.video, section.chunk_kib * KIB)
    request = youtube.videos().insert(part=VIDEO_PARTS, body=body, media_body=media,
                                      notifySubscribers=section.notify_subscribers)
    return on_endpoint(request, section.api_url)


def _chunked_file(path: Path, chunk: int) -> Any:
    """A resumable MediaFileUpload whose chunks go out as bytes, not stream slices.

    Why: httplib2 silently re-sends a request once when the connection drops before
    the answer; a stream slice is already consumed by then, so the re-send announces
    a chunk and sends nothing, and hangs until the socket timeout. Bytes re-send whole.
    """
    from googleapiclient.http import MediaFileUpload

    class BytesChunks(MediaFileUpload):
        def has_stream(self) -> bool:
            return False

    return BytesChunks(str(path), mimetype="video/mp4", resumable=True, chunksize=chunk)


def caption_request(youtube: Resource, srt: Path, body: dict[str, Any],
                    section: PublishSection) -> HttpRequest:
    """captions.insert: metadata and SRT in one multipart request (small file)."""
    from googleapiclient.http import MediaFileUpload

    media = MediaFileUpload(str(srt), mimetype="application/octet-stream", resumable=False)
    request = youtube.captions().insert(part="snippet", body=body, media_body=media,
                                        sync=False)
    return on_endpoint(request, section.api_url)


def thumbnail_request(youtube: Resource, png: Path, video_id: str,
                      section: PublishSection) -> HttpRequest:
    from googleapiclient.http import MediaFileUpload

    media = MediaFileUpload(str(png), mimetype="image/png", resumable=False)
    request = youtube.thumbnails().set(videoId=video_id, media_body=media)
    return on_endpoint(request, section.api_url)


def planned_calls(youtube: Resource, short: Short, section: PublishSection,
                  publish_at: datetime | None, steps: tuple[str, ...],
                  video_id: str = "", upload: bool = True) -> list[Call]:
    """The requests a Short's turn sends, built exactly as the real run builds them
    (the dry-run prints these). ``video_id`` is a placeholder until the upload."""
    video_id = video_id or f"<video id of {short.entry.id}>"
    calls = []
    if upload:
        body = video_body(short, section, publish_at)
        request = insert_request(youtube, short, body, section)
        calls.append(Call("videos.insert", "POST", request.uri, body, short.video,
                          short.video.stat().st_size))
    if "captions" in steps and short.captions is not None:
        body = caption_body(video_id, section)
        request = caption_request(youtube, short.captions, body, section)
        calls.append(Call("captions.insert", request.method, request.uri, body,
                          short.captions, short.captions.stat().st_size))
    if "thumbnail" in steps and short.thumbnail is not None:
        request = thumbnail_request(youtube, short.thumbnail, video_id, section)
        calls.append(Call("thumbnails.set", request.method, request.uri, None,
                          short.thumbnail, short.thumbnail.stat().st_size))
    return calls


# --- sending ----------------------------------------------------------------------------


def retryable(err: BaseException) -> bool:
    """A 5xx answer or a dropped/timed-out connection: worth another try."""
    import httplib2
    from googleapiclient.errors import HttpError

    if isinstance(err, HttpError):
        return err.resp.status in RETRY_STATUSES
    if isinstance(err, (ConnectionError, TimeoutError, socket.timeout,
                        http.client.HTTPException, httplib2.HttpLib2Error)):
        return True
    return isinstance(err, OSError) and err.errno in _DROPPED


def execute(request: HttpRequest, backoff: Backoff, what: str) -> dict[str, Any]:
    """Send a small request with retries; a refusal becomes one clear error."""
    from googleapiclient.errors import HttpError

    try:
        return retrying(lambda: request.execute(num_retries=0), retryable, backoff, what)
    except HttpError as err:
        raise PublishError(f"{what}: YouTube answered HTTP {err.resp.status}: "
                           f"{_reason(err)}") from None
    except Exception as err:
        if retryable(err):
            raise PublishError(f"{what}: gave up after {backoff.retries} retries "
                               f"({describe(err)})") from None
        raise


def upload_video(request: HttpRequest, http: Any, backoff: Backoff, *, name: str,
                 session: Session | None, record_session: Callable[[str], None],
                 progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Upload the video of ``request`` (resumable); returns the resource YouTube made.

    A recorded ``session`` is asked first: finished, its video is returned (nothing is
    sent); open and for the same file, the upload continues where the server stopped;
    expired, or open for a file re-rendered since (its bytes would mix two renders), a
    new session starts: neither can have become a video. ``record_session`` gets a new
    session's URI before any byte is sent.
    """
    if session is not None:
        state = session_state(http, backoff, session.uri, session.size)
        if state.video is not None:
            return state.video
        if state.gone or not session.same_file:
            why = "expired" if state.gone else "is for an earlier render of the file"
            log.warning("%s: its upload session %s; starting a new one", name, why)
        else:
            request.resumable_uri = session.uri
            request.resumable_progress = state.received
            log.info("%s: resuming its upload at byte %d of %d", name, state.received,
                     session.size)
            return send_chunks(request, backoff, progress)
    uri = start_session(request, http, backoff)
    record_session(uri)
    request.resumable_uri = uri
    return send_chunks(request, backoff, progress)


@dataclass(slots=True)
class Session:
    """A resumable session from the ledger: its URI, the file size it was opened for,
    and whether the file on disk is still that file."""

    uri: str
    size: int
    same_file: bool


@dataclass(slots=True)
class SessionState:
    received: int = 0
    video: dict[str, Any] | None = None
    gone: bool = False


def start_session(request: HttpRequest, http: Any, backoff: Backoff) -> str:
    """Open a resumable session (the metadata POST); its URI is the ``Location``."""
    media = request.resumable
    headers = dict(request.headers)
    headers.update({"X-Upload-Content-Type": media.mimetype(),
                    "X-Upload-Content-Length": str(media.size()),
                    "content-length": str(len(request.body or ""))})

    def post() -> tuple[Any, bytes]:
        return _checked(http.request(request.uri, method="POST", body=request.body,
                                     headers=headers))

    resp, content = _sent(post, backoff, "opening the upload session")
    if resp.status != 200 or "location" not in resp:
        raise PublishError(f"opening the upload session: HTTP {resp.status} without a "
                           f"session URI: {_body_reason(content)}")
    return resp["location"]


def session_state(http: Any, backoff: Backoff, uri: str, size: int) -> SessionState:
    """Ask a session how far it got: an empty PUT with ``Content-Range: bytes */size``.

    308 with ``Range: bytes=0-N``: N + 1 bytes arrived; 200/201: finished, with the
    video resource; 404/410: expired.
    """
    headers = {"Content-Range": f"bytes */{size}", "content-length": "0"}

    def ask() -> tuple[Any, bytes]:
        return _checked(http.request(uri, method="PUT", body=b"", headers=headers))

    resp, content = _sent(ask, backoff, "asking the upload session its state")
    if resp.status in (200, 201):
        return SessionState(received=size, video=json.loads(content))
    if resp.status in (404, 410):
        return SessionState(gone=True)
    if resp.status != 308:
        raise PublishError(f"asking the upload session its state: HTTP {resp.status}: "
                           f"{_body_reason(content)}")
    return SessionState(received=_range_end(resp.get("range")) + 1)


def send_chunks(request: HttpRequest, backoff: Backoff,
                progress: Callable[[int, int], None] | None) -> dict[str, Any]:
    """Send the chunks of an open session; a failure waits, then resumes where the
    server stopped (``next_chunk`` asks the session after an error)."""
    from googleapiclient.errors import HttpError

    attempt = 0
    response = None
    while response is None:
        try:
            status, response = request.next_chunk(num_retries=0)
        except Exception as err:
            if not retryable(err):
                if isinstance(err, HttpError):
                    raise PublishError(f"upload refused: HTTP {err.resp.status}: "
                                       f"{_reason(err)}") from None
                raise
            if attempt >= backoff.retries:
                raise PublishError(f"upload gave up after {backoff.retries} retries "
                                   f"({describe(err)}); the session is recorded and the "
                                   "next run resumes it") from None
            backoff.wait(attempt, f"upload chunk: {describe(err)}")
            attempt += 1
            continue
        attempt = 0
        if status is not None and progress is not None:
            progress(status.resumable_progress, status.total_size)
    return response


def _sent(call: Callable[[], tuple[Any, bytes]], backoff: Backoff,
          what: str) -> tuple[Any, bytes]:
    try:
        return retrying(call, retryable, backoff, what)
    except Exception as err:
        if retryable(err):
            raise PublishError(f"{what}: gave up after {backoff.retries} retries "
                               f"({describe(err)})") from None
        raise


def _checked(answer: tuple[Any, bytes]) -> tuple[Any, bytes]:
    """Raise a retryable status as HttpError (so the retry loop sees it)."""
    from googleapiclient.errors import HttpError

    resp, content = answer
    if resp.status in RETRY_STATUSES:
        raise HttpError(resp, content)
    return resp, content


def _range_end(header: str | None) -> int:
    """Last byte offset of ``Range: bytes=0-N``; -1 when the server has nothing."""
    if not header:
        return -1
    return int(header.rsplit("-", 1)[1])


def _reason(err: Any) -> str:
    return getattr(err, "reason", "") or _body_reason(getattr(err, "content", b""))


def _body_reason(content: bytes | str) -> str:
    """The ``error.message`` of a Google error body, else its first 200 characters."""
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    try:
        return str(json.loads(text)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return text[:200]
