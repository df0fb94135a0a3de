"""The web dashboard: the static export of frontend/ served at `/`, under a strict CSP.

Next's static export puts inline bootstrap scripts in every page. Rather than allow
'unsafe-inline', each page's Content-Security-Policy lists the sha256 of exactly the inline
scripts that page carries (computed here, once per file version), so nothing else can run.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from kubeserve.errors import NotFound
from kubeserve.openapi import method_not_allowed

INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)
BASE_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>KubeServe</title></head>
<body><main><h1>KubeServe: the dashboard is not built</h1>
<p>The API is running (<a href="/docs">/docs</a>). To build the web dashboard, install Node.js 20+
and npm, then run <code>make dashboard</code> (<code>make run</code> does it when npm is present)
and reload this page. It is served from <code>{out}</code>.</p></main></body></html>"""
BACKEND_PREFIXES = ("api/", "docs", "redoc", "openapi.json")


def content_security_policy(html: Path) -> str:
    stat = html.stat()
    return _policy(html, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _policy(html: Path, _mtime_ns: int, _size: int) -> str:
    hashes = sorted({_sha256(body) for body in INLINE_SCRIPT.findall(html.read_bytes()) if body.strip()})
    scripts = " ".join(["'self'", *(f"'sha256-{h}'" for h in hashes)])
    return f"{BASE_POLICY}; script-src {scripts}"


def _sha256(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode()


def resolve(out: Path, path: str) -> Path | None:
    """The file `path` names in the export (`x/` -> `x/index.html`), or None; never outside `out`."""
    root = out.resolve()
    target = (root / path).resolve()
    if target != root and root not in target.parents:
        return None
    if target.is_dir():
        target = target / "index.html"
    return target if target.is_file() else None


def mount(app: FastAPI, out: Path) -> None:
    """Serve the export at `/` after every API route (so the API and the gateway keep their paths)."""

    @app.get("/{path:path}", include_in_schema=False)
    async def dashboard(path: str) -> Response:
        if path.startswith(BACKEND_PREFIXES):  # an API path: 405 if it takes other methods
            raise method_not_allowed(app, f"/{path}") or NotFound("no such API path")
        if not (out / "index.html").is_file():
            return HTMLResponse(NOT_BUILT.format(out=out), status_code=404, headers=SECURITY_HEADERS)
        target = resolve(out, path)
        if target is not None and target.suffix == ".html" and path and not path.endswith(("/", ".html")):
            return RedirectResponse(f"/{path}/", status_code=308)  # trailingSlash: true
        if target is None:
            return _page(resolve(out, "404.html") or out / "index.html", 404)
        if target.suffix == ".html":
            return _page(target, 200)
        immutable = path.startswith("_next/static/")
        cache = "public, max-age=31536000, immutable" if immutable else "no-cache"
        return FileResponse(target, headers={**SECURITY_HEADERS, "Cache-Control": cache})


def _page(html: Path, status: int) -> Response:
    headers = {
        **SECURITY_HEADERS,
        "Content-Security-Policy": content_security_policy(html),
        "Cache-Control": "no-cache",
    }
    return FileResponse(html, status_code=status, headers=headers, media_type="text/html; charset=utf-8")
