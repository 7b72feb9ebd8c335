#!/usr/bin/env python
"""A stand-in for the Hugging Face Hub's HTTP API, for tests: ``HF_ENDPOINT=http://127.0.0.1:PORT``.

    python tests/hub_standin.py --port 8123 --log requests.jsonl --ready ready.txt \\
        --token hf_write_ok --repo ORG/NAME@main=DIR --repo ORG/NAME@refs/pr/1=DIR [--gated ORG/NAME]

It speaks enough of the Hub for the real ``huggingface_hub`` and ``transformers`` clients (read
from their code, huggingface_hub 2.x):

* ``HEAD``/``GET /{repo}/resolve/{revision}/{path}``: ``X-Repo-Commit``, ``ETag`` (git blob
  id), ``X-Linked-Etag``/``X-Linked-Size`` (sha256, size) for weight files, ``Content-Length``,
  ``Range``; ``X-Error-Code`` ``RepoNotFound``, ``RevisionNotFound``, ``EntryNotFound``,
  ``GatedRepo``; 401 ``Invalid credentials in Authorization header`` for an unknown token.
* ``/api/models/{repo}[/revision/{rev}]`` (model info), ``/tree/{rev}[/{path}]``,
  ``/commits/{rev}``, ``/discussions`` (the conversion pull request ``refs/pr/1``).
* uploads: ``/api/repos/create``, ``/preupload/{rev}`` (every file ``regular``: no LFS or Xet),
  ``/commit/{rev}`` (NDJSON, base64 files), ``/api/validate-yaml``, ``/api/whoami-v2``; a write
  without a known bearer token is refused (401) and changes nothing.

A repository ``ORG/NAME@REV=DIR`` is seeded from the files of ``DIR``: ``main`` first, then
``refs/pr/N`` branches whose parent commit is ``main`` (opened by ``SFconvertbot``, as the
Hub's conversion bot does). Every request is appended to ``--log`` as one JSON line
(``method``, ``path`` unquoted, ``status``, ``auth``). Standard library only, so it starts fast.
It listens on 127.0.0.1 only; ``--ready`` is written (temp file, then rename) once it listens.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import os
import re
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

LFS_SUFFIXES = (".safetensors", ".bin", ".h5", ".msgpack", ".pt", ".pth", ".onnx")
CONVERSION_TITLE = "Adding `safetensors` variant of this model"
COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class Commit:
    oid: str
    title: str
    files: dict[str, bytes]
    parent: Commit | None
    author: str
    date: str


@dataclass
class Repo:
    repo_id: str
    private: bool = False
    gated: bool = False
    refs: dict[str, Commit] = field(default_factory=dict)  # "main", "refs/pr/1", ...
    discussions: list[dict] = field(default_factory=list)

    def commit(self, ref: str, files: dict[str, bytes], title: str, author: str, parent: Commit | None) -> Commit:
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        seed = f"{self.repo_id}\0{ref}\0{title}\0{parent.oid if parent else ''}\0{len(self.refs)}\0{stamp}"
        oid = hashlib.sha1(seed.encode() + b"".join(sorted(git_blob_id(v).encode() for v in files.values()))).hexdigest()
        c = Commit(oid, title, files, parent, author, stamp)
        self.refs[ref] = c
        return c

    def resolve(self, rev: str) -> Commit | None:
        if rev in self.refs:
            return self.refs[rev]
        if COMMIT_RE.match(rev):
            for head in self.refs.values():
                c: Commit | None = head
                while c is not None:
                    if c.oid == rev:
                        return c
                    c = c.parent
        return None


class Hub:
    """The repositories, the tokens and the request log; one lock for all."""

    def __init__(self, tokens: set[str], log_path: Path | None):
        self.repos: dict[str, Repo] = {}
        self.tokens = tokens
        self.log_path = log_path
        self.lock = threading.Lock()

    def log(self, entry: dict) -> None:
        if self.log_path is None:
            return
        with self.lock, open(self.log_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def seed(self, repo_id: str, ref: str, folder: Path) -> None:
        files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
        repo = self.repos.setdefault(repo_id, Repo(repo_id))
        if ref == "main":
            repo.commit("main", files, "initial commit", repo_id.split("/")[0], repo.refs.get("main"))
            return
        m = re.fullmatch(r"refs/pr/(\d+)", ref)
        if not m or "main" not in repo.refs:
            raise SystemExit(f"--repo {repo_id}@{ref}: seed main first; other refs are refs/pr/N")
        repo.commit(ref, files, CONVERSION_TITLE, "SFconvertbot", repo.refs["main"])
        repo.discussions.append({"num": int(m.group(1)), "title": CONVERSION_TITLE, "author": "SFconvertbot",
                                 "status": "open", "isPullRequest": True})


class Handler(BaseHTTPRequestHandler):
    hub: Hub
    protocol_version = "HTTP/1.1"

    # ------------------------------------------------------------------ plumbing

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass  # the JSON request log replaces stderr lines

    def _segments(self) -> tuple[list[str], dict[str, list[str]]]:
        parts = urlsplit(self.path)
        return [unquote(s) for s in parts.path.split("/") if s != ""], parse_qs(parts.query)

    def _token(self) -> str | None:
        auth = self.headers.get("Authorization") or ""
        return auth[7:].strip() if auth.lower().startswith("bearer ") else None

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
              content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)
        segs, _ = self._segments()
        self.hub.log({"method": self.command, "path": "/" + "/".join(segs), "status": status,
                      "auth": self._token() is not None})

    def _json(self, status: int, obj, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(obj).encode(), headers)

    def _error(self, status: int, code: str | None, message: str, commit: str | None = None) -> None:
        headers = {"X-Error-Message": message}
        if code:
            headers["X-Error-Code"] = code
        if commit:
            headers["X-Repo-Commit"] = commit
        self._json(status, {"error": message}, headers)

    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _auth_ok(self) -> bool:
        """False (and a 401 sent) when a bearer token is given that the stand-in does not know."""
        tok = self._token()
        if tok is not None and tok not in self.hub.tokens:
            self._error(401, None, "Invalid credentials in Authorization header")
            return False
        return True

    def _repo(self, repo_id: str) -> Repo | None:
        """The readable repository, or None with the Hub's error sent."""
        repo = self.hub.repos.get(repo_id)
        if repo is None or (repo.private and self._token() not in self.hub.tokens):
            self._error(404, "RepoNotFound", "Repository not found")
            return None
        if repo.gated:
            self._error(401, "GatedRepo", f"Access to model {repo_id} is restricted. You must have access to it "
                        "and be authenticated to access it. Please log in.")
            return None
        return repo

    def _commit(self, repo: Repo, rev: str) -> Commit | None:
        c = repo.resolve(rev)
        if c is None:
            self._error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
        return c

    # ------------------------------------------------------------------ verbs

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        self._dispatch()

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch()

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch()

    def _dispatch(self) -> None:
        try:
            if not self._auth_ok():
                return
            segs, query = self._segments()
            if self.command in ("GET", "HEAD") and len(segs) >= 5 and segs[2] == "resolve":
                return self._resolve(f"{segs[0]}/{segs[1]}", segs[3:])
            if segs[:1] == ["api"]:
                return self._api(segs[1:], query)
            self._error(404, None, f"the stand-in does not serve {self.command} {self.path}")
        except (BrokenPipeError, ConnectionResetError):
            pass

    # ------------------------------------------------------------------ files

    def _resolve(self, repo_id: str, rest: list[str]) -> None:
        repo = self._repo(repo_id)
        if repo is None:
            return
        # The revision is one URL segment (refs%2Fpr%2F1); unquoted it may hold slashes.
        rev, path = rest[0], "/".join(rest[1:])
        c = self._commit(repo, rev)
        if c is None:
            return
        data = c.files.get(path)
        if data is None:
            return self._error(404, "EntryNotFound", f"{path} does not exist on \"{rev}\"", commit=c.oid)
        headers = {"X-Repo-Commit": c.oid, "ETag": f'"{git_blob_id(data)}"', "Accept-Ranges": "bytes"}
        if path.endswith(LFS_SUFFIXES):
            headers["X-Linked-Etag"] = f'"{hashlib.sha256(data).hexdigest()}"'
            headers["X-Linked-Size"] = str(len(data))
        status, body = 200, data
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range") or "")
        if m and self.command == "GET":
            lo = int(m.group(1))
            hi = int(m.group(2)) if m.group(2) else len(data) - 1
            status, body = 206, data[lo : hi + 1]
            headers["Content-Range"] = f"bytes {lo}-{lo + len(body) - 1}/{len(data)}"
        headers["Content-Length"] = str(len(body))
        self._send(status, body, headers, content_type="application/octet-stream")

    # ------------------------------------------------------------------ API

    def _api(self, segs: list[str], query: dict[str, list[str]]) -> None:
        if segs == ["whoami-v2"] and self.command == "GET":
            if self._token() not in self.hub.tokens:
                return self._error(401, None, "Invalid credentials in Authorization header")
            return self._json(200, {"type": "user", "name": "standin-user", "orgs": [], "auth": {"type": "access_token"}})
        if segs == ["validate-yaml"] and self.command == "POST":
            self._body()
            return self._json(200, {"errors": [], "warnings": []})
        if segs == ["repos", "create"] and self.command == "POST":
            return self._create_repo()
        if len(segs) < 3 or segs[0] != "models":
            return self._error(404, None, f"the stand-in does not serve {self.command} {self.path}")
        repo_id, rest = f"{segs[1]}/{segs[2]}", segs[3:]
        if self.command == "POST":
            if len(rest) == 2 and rest[0] in ("preupload", "commit"):
                return self._preupload(repo_id, rest[1]) if rest[0] == "preupload" else self._commit_files(repo_id, rest[1])
            return self._error(404, None, f"the stand-in does not serve POST {self.path}")
        repo = self._repo(repo_id)
        if repo is None:
            return
        if not rest or rest[0] == "revision":
            c = self._commit(repo, rest[1] if len(rest) > 1 else "main")
            return c and self._json(200, self._model_info(repo, c, bool(query.get("blobs"))))
        if rest[0] == "tree" and len(rest) >= 2:
            c = self._commit(repo, rest[1])
            recursive = (query.get("recursive") or ["false"])[0].lower() in ("1", "true")
            return c and self._tree(c, "/".join(rest[2:]), recursive)
        if rest[0] == "commits" and len(rest) == 2:
            c = self._commit(repo, rest[1])
            out = []
            while c is not None:
                out.append({"id": c.oid, "title": c.title, "message": "", "authors": [{"user": c.author}], "date": c.date})
                c = c.parent
            return self._json(200, out)
        if rest == ["discussions"]:
            page = int((query.get("p") or ["0"])[0])
            items = [] if page else [{**d, "createdAt": repo.refs["main"].date, "author": {"name": d["author"]},
                                      "repo": {"name": repo.repo_id, "type": "model"}} for d in repo.discussions]
            return self._json(200, {"discussions": items, "count": len(repo.discussions), "start": 0,
                                    "numClosedDiscussions": 0})
        self._error(404, None, f"the stand-in does not serve GET {self.path}")

    def _model_info(self, repo: Repo, c: Commit, blobs: bool) -> dict:
        siblings = []
        for p, data in sorted(c.files.items()):
            s: dict = {"rfilename": p}
            if blobs:
                s.update(size=len(data), blobId=git_blob_id(data))
            siblings.append(s)
        return {"_id": hashlib.sha1(repo.repo_id.encode()).hexdigest()[:24], "id": repo.repo_id, "modelId": repo.repo_id,
                "author": repo.repo_id.split("/")[0], "sha": c.oid, "lastModified": c.date, "createdAt": c.date,
                "private": repo.private, "gated": "auto" if repo.gated else False, "disabled": False,
                "downloads": 0, "likes": 0, "library_name": "transformers", "tags": ["transformers", "bert"],
                "siblings": siblings}

    def _tree(self, c: Commit, path: str, recursive: bool) -> None:
        prefix = f"{path.strip('/')}/" if path.strip("/") else ""
        if prefix and not any(p.startswith(prefix) for p in c.files):
            return self._error(404, "EntryNotFound", f"{path} does not exist", commit=c.oid)
        out, dirs = [], set()
        for p, data in sorted(c.files.items()):
            if not p.startswith(prefix):
                continue
            rel = p[len(prefix):]
            if "/" in rel and not recursive:
                dirs.add(prefix + rel.split("/")[0])
                continue
            entry: dict = {"type": "file", "oid": git_blob_id(data), "size": len(data), "path": p}
            if p.endswith(LFS_SUFFIXES):
                entry["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
            out.append(entry)
        out += [{"type": "directory", "oid": hashlib.sha1(d.encode()).hexdigest(), "size": 0, "path": d} for d in sorted(dirs)]
        self._json(200, out)

    # ------------------------------------------------------------------ uploads

    def _writer(self, repo_id: str) -> Repo | None:
        """The repository a known token may write to, or None with the error sent."""
        if self._token() not in self.hub.tokens:
            self._body()
            self._error(401, None, "Invalid username or password.")
            return None
        repo = self.hub.repos.get(repo_id)
        if repo is None:
            self._body()
            self._error(404, "RepoNotFound", "Repository not found")
        return repo

    def _create_repo(self) -> None:
        if self._token() not in self.hub.tokens:
            self._body()
            return self._error(401, None, "Invalid username or password.")
        req = json.loads(self._body() or b"{}")
        if req.get("type", "model") != "model":
            return self._error(400, None, "the stand-in holds model repositories only")
        repo_id = f"{req.get('organization') or 'standin-user'}/{req['name']}"
        url = f"http://{self.headers.get('Host')}/{repo_id}"
        with self.hub.lock:
            if repo_id in self.hub.repos:
                return self._json(409, {"error": "You already created this model repo", "url": url})
            repo = Repo(repo_id, private=bool(req.get("private")))
            repo.commit("main", {".gitattributes": b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n"},
                        "initial commit", "standin-user", None)
            self.hub.repos[repo_id] = repo
        self._json(200, {"url": url, "name": repo_id, "id": repo.refs["main"].oid})

    def _preupload(self, repo_id: str, rev: str) -> None:
        repo = self._writer(repo_id)
        if repo is None:
            return
        req = json.loads(self._body() or b"{}")
        head = repo.resolve(rev)
        if head is None:
            return self._error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
        files = []
        for f in req.get("files", []):
            old = head.files.get(f["path"])
            files.append({"path": f["path"], "uploadMode": "regular", "shouldIgnore": False,
                          "oid": git_blob_id(old) if old is not None else None})
        self._json(200, {"files": files, "commitOid": head.oid})

    def _commit_files(self, repo_id: str, rev: str) -> None:
        repo = self._writer(repo_id)
        if repo is None:
            return
        lines = [json.loads(line) for line in self._body().splitlines() if line.strip()]
        head = repo.resolve(rev)
        if head is None or rev not in repo.refs:
            return self._error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
        files = dict(head.files)
        title = "Upload"
        for item in lines:
            key, val = item.get("key"), item.get("value", {})
            if key == "header":
                title = val.get("summary") or title
            elif key == "file":
                files[val["path"]] = base64.b64decode(val["content"]) if val.get("encoding") == "base64" \
                    else val["content"].encode()
            elif key == "deletedFile":
                files.pop(val["path"], None)
            elif key == "deletedFolder":
                files = {p: d for p, d in files.items() if not p.startswith(val["path"].rstrip("/") + "/")}
            else:
                return self._error(400, None, f"the stand-in accepts regular files only, not {key}")
        with self.hub.lock:
            c = repo.commit(rev, files, title, "standin-user", head)
        url = f"http://{self.headers.get('Host')}/{repo_id}/commit/{c.oid}"
        self._json(200, {"success": True, "commitOid": c.oid, "commitUrl": url, "pullRequestUrl": None})


# --------------------------------------------------------------------------- a repository shaped like CAMeLBERT's

# The real repository's tokenizer_config.json, byte for byte (86 bytes): no tokenizer_class and no
# model_max_length; there is no tokenizer.json either.
CAMELBERT_TOKENIZER_CONFIG = b'{"do_lower_case": false, "special_tokens_map_file": null, "full_tokenizer_file": null}'
CAMELBERT_SPECIAL_TOKENS = {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
                            "mask_token": "[MASK]"}


def build_camelbert_like(out: Path, texts: list[str], seed: int = 0) -> tuple[Path, Path]:
    """``out/main`` and ``out/pr1``: the files of CAMeLBERT-MSA's ``main`` and ``refs/pr/1``, tiny.

    ``main`` holds config.json, vocab.txt, special_tokens_map.json, the real tokenizer_config.json
    and pickle weights (pytorch_model.bin); ``pr1`` the same plus model.safetensors, as the
    Hub's conversion bot leaves it. Random weights (BertForMaskedLM, one layer, hidden 32), a
    WordPiece vocabulary trained on ``texts``. Needs torch and transformers (the server does not).
    """
    import shutil
    import tempfile

    import torch
    from transformers import BertConfig, BertForMaskedLM

    from train.features.tokenization import train_wordpiece

    tok = train_wordpiece(texts, vocab_size=1200)
    vocab = sorted(tok.get_vocab().items(), key=lambda kv: kv[1])
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512, pad_token_id=tok.pad_token_id,
                        architectures=["BertForMaskedLM"])
    torch.manual_seed(seed)
    model = BertForMaskedLM(config)
    main, pr1 = out / "main", out / "pr1"
    main.mkdir(parents=True)
    config.to_json_file(main / "config.json")
    (main / "vocab.txt").write_text("".join(t + "\n" for t, _ in vocab), encoding="utf-8")
    (main / "special_tokens_map.json").write_text(json.dumps(CAMELBERT_SPECIAL_TOKENS), encoding="utf-8")
    (main / "tokenizer_config.json").write_bytes(CAMELBERT_TOKENIZER_CONFIG)
    torch.save(model.state_dict(), main / "pytorch_model.bin")
    shutil.copytree(main, pr1)
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)  # safetensors, tied weights handled as transformers does
        shutil.copy2(Path(tmp) / "model.safetensors", pr1 / "model.safetensors")
    return main, pr1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    ap.add_argument("--log", type=Path, help="request log, one JSON line per request")
    ap.add_argument("--ready", type=Path, help="file that receives the port once the server listens")
    ap.add_argument("--token", action="append", default=[], help="a bearer token the stand-in accepts (repeatable)")
    ap.add_argument("--repo", action="append", default=[], metavar="ORG/NAME@REV=DIR", help="seed a repository revision")
    ap.add_argument("--gated", action="append", default=[], metavar="ORG/NAME", help="mark a seeded repository gated")
    args = ap.parse_args(argv)
    hub = Hub(set(args.token), args.log)
    for spec in args.repo:
        m = re.fullmatch(r"([^@=]+/[^@=]+)@([^=]+)=(.+)", spec)
        if not m or not Path(m.group(3)).is_dir():
            print(f"hub_standin: bad --repo {spec!r} (ORG/NAME@REV=DIR, DIR a folder)", file=sys.stderr)
            return 2
        hub.seed(m.group(1), m.group(2), Path(m.group(3)))
    for repo_id in args.gated:
        hub.repos[repo_id].gated = True
    Handler.hub = hub
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    if args.ready:
        tmp = args.ready.with_name(args.ready.name + ".tmp")
        tmp.write_text(str(server.server_address[1]), encoding="utf-8")
        os.replace(tmp, args.ready)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
