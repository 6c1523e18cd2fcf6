"""OAuth for the YouTube Data API: the installed-app flow, with a cached token.

The first real publish opens the browser once (Google's consent page for the
"Desktop app" client the user created); the token that comes back, refresh token
included, is cached at mode 0600 so later runs sign in silently. The token is a
password to the channel: it is never logged, never printed, never put in an error
message, and its file is written atomically with owner-only permissions from the
first byte (a temp file created 0600, then renamed).
"""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shortfactory.core.errors import InputError, ShortfactoryError
from shortfactory.core.io import atomic_path

if TYPE_CHECKING:
    from google.oauth2.credentials import Credentials

log = logging.getLogger(__name__)

# youtube.upload for videos.insert and thumbnails.set; force-ssl for captions.insert.
SCOPES: tuple[str, ...] = (
    "https://www.googleapis.com/auth/youtube.upload",
    "https://www.googleapis.com/auth/youtube.force-ssl",
)

SETUP_HINT = ("create an OAuth client of type 'Desktop app' in Google Cloud Console "
              "(APIs & Services > Credentials, with the YouTube Data API v3 enabled), "
              "download its JSON and put it there")


def credentials(client_secrets: str | Path, token_path: str | Path, *,
                scopes: Sequence[str] = SCOPES, token_url: str = "",
                open_browser: bool = True, browser: str | None = None) -> Credentials:
    """Valid credentials: the cached token, refreshed if expired, else the browser flow.

    Args:
        client_secrets: the OAuth client JSON (``installed`` type).
        token_path: the token cache; created 0600, tightened to 0600 if found looser.
        scopes: what to ask for; a cached token without them is replaced.
        token_url: the token endpoint, overriding the client's (tests, proxies).
        open_browser: open the consent page (else only print its URL).
        browser: a :mod:`webbrowser` name (tests register a fake one).
    """
    token_path = Path(token_path).expanduser()
    creds = cached_credentials(token_path, scopes, token_url)
    if creds is not None and _usable(creds, token_path):
        return creds
    creds = _consent(Path(client_secrets).expanduser(), scopes, token_url, open_browser,
                     browser)
    save_token(token_path, creds)
    return creds


def cached_credentials(token_path: Path, scopes: Sequence[str],
                       token_url: str = "") -> Credentials | None:
    """The cached token, or None when there is none or it lacks a scope."""
    from google.oauth2.credentials import Credentials

    if not token_path.exists():
        return None
    _tighten(token_path)
    try:
        info = json.loads(token_path.read_text(encoding="utf-8"))
        creds = Credentials.from_authorized_user_info(info, list(scopes))
    except (ValueError, KeyError):
        # Never echo the file: it holds the token.
        log.warning("%s: not a token cache this version reads; signing in again", token_path)
        return None
    if token_url:
        expiry = creds.expiry
        creds = creds.with_token_uri(token_url)
        creds.expiry = expiry  # with_token_uri's copy drops it (google-auth 2.x)
    if not creds.has_scopes(list(scopes)):
        log.warning("%s: the cached token lacks a scope; signing in again", token_path)
        return None
    return creds


def _usable(creds: Credentials, token_path: Path) -> bool:
    """Whether ``creds`` can be used now, refreshing (and re-caching) an expired one."""
    import google.auth.exceptions
    from google.auth.transport.requests import Request

    if creds.valid:
        return True
    if not creds.refresh_token:
        return False
    try:
        creds.refresh(Request())
    except google.auth.exceptions.RefreshError as err:
        # e.g. invalid_grant: revoked, or a testing-mode client's 7-day expiry.
        log.warning("the cached token was refused (%s); signing in again",
                    _first_line(err))
        return False
    except google.auth.exceptions.TransportError as err:
        raise ShortfactoryError(f"cannot reach the OAuth token endpoint: {_first_line(err)}") \
            from None
    save_token(token_path, creds)
    return True


def _consent(client_secrets: Path, scopes: Sequence[str], token_url: str,
             open_browser: bool, browser: str | None) -> Credentials:
    """The installed-app flow: a local redirect server on a free port, one consent."""
    from google_auth_oauthlib.flow import InstalledAppFlow

    config = _client_config(client_secrets)
    if token_url:
        next(iter(config.values()))["token_uri"] = token_url
    flow = InstalledAppFlow.from_client_config(config, list(scopes))
    print("Signing in to YouTube: approve the upload scopes in the browser "
          "(the token is cached for later runs).")
    return flow.run_local_server(port=0, open_browser=open_browser, browser=browser,
                                 authorization_prompt_message="If no browser opened, "
                                 "visit: {url}", timeout_seconds=600)


def _client_config(path: Path) -> dict[str, Any]:
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no OAuth client secrets; {SETUP_HINT} "
                         "(or set publish.client_secrets)") from None
    except ValueError:
        raise InputError(f"{path}: not a JSON client secrets file; {SETUP_HINT}") from None
    if not isinstance(config, dict) or not ({"installed", "web"} & set(config)):
        raise InputError(f"{path}: not an OAuth client file (no 'installed' key); "
                         f"{SETUP_HINT}")
    return config


def save_token(path: Path, creds: Credentials) -> None:
    """Write the token cache 0600, atomically; its folder is made 0700."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with atomic_path(path, mode=0o600) as tmp, open(tmp, "w", encoding="utf-8") as handle:
        handle.write(creds.to_json())
        handle.flush()
        os.fsync(handle.fileno())


def remember(token_path: str | Path, creds: Credentials, before: str | None) -> None:
    """Re-cache the token if it changed during a run (the HTTP layer refreshes an
    expired one on a 401 by itself), so the next run starts with a valid one."""
    if creds.token and creds.token != before:
        save_token(Path(token_path).expanduser(), creds)


def _tighten(path: Path) -> None:
    """A token readable by others is made owner-only, and the user is told."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        os.chmod(path, 0o600)
        log.warning("%s was readable by others (mode %o); now 0600", path, mode)


def _first_line(err: BaseException) -> str:
    """The error's first line, without a response body that might echo secrets."""
    text = str(err.args[0]) if err.args else type(err).__name__
    return text.splitlines()[0][:200] if text else type(err).__name__
