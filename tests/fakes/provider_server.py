"""A real HTTP server on 127.0.0.1 (port 0) serving SocialData-, X-, Bluesky-, Mastodon-, Hacker News (Algolia) and
Lemmy-shaped endpoints.

    with FakeProviderServer(page_delay=0.2) as fake:
        env = fake.env()                       # SOCIALDATA_BASE_URL, X_API_BASE_URL, ..., credentials
        fake.script("x", Reply(429, headers={"x-rate-limit-reset": "..."}), Reply(500))
        ...
        fake.requests["socialdata"]            # how many requests each route received

Routes (names used by ``script`` and ``requests``): ``socialdata``, ``x``, ``bluesky.createSession``,
``bluesky.refreshSession``, ``bluesky.search``, ``mastodon``, ``mastodon.search`` (``/api/v2/search``, needs
``MASTODON_TOKEN``), ``mastodon.trends`` (``/api/v1/trends/tags``; ``trending`` maps a tag to its per-day uses),
``hackernews`` (``/api/v1/search_by_date``), ``lemmy`` (``/lemmy/<name>/api/v3/search``). Scripted replies are
served first, in order, then the route's normal behaviour. A ``Reply`` may be a status with a JSON or raw body,
headers, a delay, or ``hang=True`` (never answers until the server stops). ``page_delay`` is added to every search
page.

Engine-like mode: ``corpus=[Doc(...), ...]`` (``tests.fakes.engines``) serves the same posts from every route,
each route matching the way its real engine does (Algolia prefix and typo matches on title, text, url and author;
Lemmy substrings; Mastodon tags; Bluesky's search syntax; X's operators, time and id operators included), and
every instance knows every post. Without a corpus, every route answers its generated posts whatever the query.

Data: ``posts`` generated posts per provider, newest first, one every ``minutes_between`` minutes back from start.
Mastodon instances are served under ``/mastodon/<name>`` and Lemmy instances under ``/lemmy/<name>``; neighbours
overlap by half (same ``uri`` / ``ap_id``), to exercise deduplication.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes.engines import (
    Doc,
    Tweetish,
    algolia_matches,
    bluesky_matches,
    lemmy_matches,
    mastodon_matches,
    x_matches,
)

SOCIALDATA_KEY = "sd-test-key"
X_TOKEN = "x-test-token"
BLUESKY_HANDLE = "tester.bsky.social"
BLUESKY_PASSWORD = "app-pass-1234"
MASTODON_TOKEN = "masto-user-token"
WORDS = ["great", "awful", "love", "hate", "fine", "launch", "bug", "fast", "slow", "happy"]


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list -> JSON, str/bytes -> raw
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    hang: bool = False


def _iso(moment: datetime, millis: bool = True) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z" if millis else "%Y-%m-%dT%H:%M:%SZ")


def _jwt(claims: dict) -> str:
    def enc(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{enc({'alg': 'none'})}.{enc(claims)}.sig"


class FakeProviderServer:
    def __init__(
        self,
        posts: int = 200,
        page_delay: float = 0.0,
        mastodon_instances: tuple[str, ...] = ("alpha", "beta"),
        keyword: str = "serverless",
        minutes_between: float = 1.0,
        lemmy_instances: tuple[str, ...] = ("one", "two"),
        corpus: list[Doc] | None = None,
    ) -> None:
        self.corpus = list(corpus) if corpus is not None else None
        self.page_delay = page_delay
        self.minutes_between = minutes_between
        self.lemmy_instances = lemmy_instances
        self.trending: dict[str, list[int]] = {}  # tag -> uses per day, today first (Mastodon trends)
        self.keyword = keyword
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.count = len(self.corpus) if self.corpus is not None else posts
        self.mastodon_instances = mastodon_instances
        self.mastodon_login_required: set[str] = set()
        self.requests: Counter[str] = Counter()
        self.request_log: list[tuple[str, str, dict[str, list[str]]]] = []
        self._scripts: dict[str, deque[Reply]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._token_serial = 0
        self.access_token: str | None = None
        self.refresh_token: str | None = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> FakeProviderServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake._handle(self)

            def do_POST(self) -> None:
                fake._handle(self)

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # the default backlog of 5 drops concurrent connects (1 s SYN retry)
            daemon_threads = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-providers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        assert self._server is not None, "server not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def mastodon_url(self, name: str) -> str:
        return f"{self.base_url}/mastodon/{name}"

    def lemmy_url(self, name: str) -> str:
        return f"{self.base_url}/lemmy/{name}"

    def env(self) -> dict[str, str]:
        """Environment pointing every provider at this server, with working credentials."""
        return {
            "SOCIALDATA_BASE_URL": self.base_url,
            "X_API_BASE_URL": self.base_url,
            "BLUESKY_BASE_URL": self.base_url,
            "MASTODON_INSTANCES": ",".join(self.mastodon_url(n) for n in self.mastodon_instances),
            "HACKERNEWS_BASE_URL": self.base_url,
            "LEMMY_INSTANCES": ",".join(self.lemmy_url(n) for n in self.lemmy_instances),
            "SOCIALDATA_API_KEY": SOCIALDATA_KEY,
            "X_BEARER_TOKEN": X_TOKEN,
            "BLUESKY_HANDLE": BLUESKY_HANDLE,
            "BLUESKY_APP_PASSWORD": BLUESKY_PASSWORD,
        }

    # ------------------------------------------------------------------ scripting
    def script(self, route: str, *replies: Reply) -> None:
        with self._lock:
            self._scripts.setdefault(route, deque()).extend(replies)

    def expire_bluesky_access(self) -> None:
        """The current access JWT stops working (401 ExpiredToken) - the client must refresh."""
        with self._lock:
            self.access_token = None

    # ------------------------------------------------------------------ data
    def _created(self, n: int) -> datetime:
        if self.corpus is not None and self.corpus[n].minutes_ago is not None:
            return self.now - timedelta(minutes=self.corpus[n].minutes_ago)
        return self.now - timedelta(minutes=(n + 1) * self.minutes_between)

    def _doc(self, n: int) -> Doc | None:
        return self.corpus[n] if self.corpus is not None else None

    def _hit(self, engine, query: str, n: int) -> bool:
        """Whether the route's engine returns post ``n`` for ``query`` (always, without a corpus)."""
        doc = self._doc(n)
        return doc is None or engine(query, doc)

    def _tweet(self, n: int) -> Tweetish:
        doc = self._doc(n)
        assert doc is not None
        created = int(self._created(n).timestamp())
        return Tweetish(doc.text, doc.author, doc.lang, created, self._tweet_id(n), doc.hashtags())

    def _text(self, n: int) -> str:
        if self.corpus is not None:
            return self.corpus[n].text
        first, second = WORDS[n % len(WORDS)], WORDS[(n * 7) % len(WORDS)]
        return f"{self.keyword} is {first} and {second} #{self.keyword} #post{n % 5}"

    def _tweet_id(self, n: int) -> int:
        return 1_900_000_000_000_000_000 - n * 1000

    # ------------------------------------------------------------------ dispatch
    def _route(self, method: str, path: str) -> str | None:
        if method == "GET" and path == "/twitter/search":
            return "socialdata"
        if method == "GET" and path == "/2/tweets/search/recent":
            return "x"
        if method == "POST" and path == "/xrpc/com.atproto.server.createSession":
            return "bluesky.createSession"
        if method == "POST" and path == "/xrpc/com.atproto.server.refreshSession":
            return "bluesky.refreshSession"
        if method == "GET" and path == "/xrpc/app.bsky.feed.searchPosts":
            return "bluesky.search"
        if method == "GET" and re.fullmatch(r"/mastodon/[^/]+/api/v1/timelines/tag/[^/]+", path):
            return "mastodon"
        if method == "GET" and re.fullmatch(r"/mastodon/[^/]+/api/v2/search", path):
            return "mastodon.search"
        if method == "GET" and re.fullmatch(r"/mastodon/[^/]+/api/v1/trends/tags", path):
            return "mastodon.trends"
        if method == "GET" and path == "/api/v1/search_by_date":
            return "hackernews"
        if method == "GET" and re.fullmatch(r"/lemmy/[^/]+/api/v3/search", path):
            return "lemmy"
        return None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = parse_qs(parts.query)
        length = int(handler.headers.get("Content-Length") or 0)
        raw_body = handler.rfile.read(length) if length else b""
        route = self._route(handler.command, parts.path)
        with self._lock:
            self.requests[route or "unknown"] += 1
            self.request_log.append((route or "unknown", handler.path, query))
            scripted = self._scripts.get(route or "", deque())
            reply = scripted.popleft() if scripted else None
        if route is None:
            reply = Reply(404, {"error": "NotFound", "message": "no such route"})
        elif reply is None:
            reply = self._default(route, parts.path, query, dict(handler.headers), raw_body)
        if route and route != "bluesky.createSession" and route != "bluesky.refreshSession" and self.page_delay:
            reply.delay += self.page_delay
        if reply.hang:
            self._stop.wait(60)
            return
        if reply.delay:
            time.sleep(reply.delay)
        if isinstance(reply.body, bytes):
            payload = reply.body
        elif isinstance(reply.body, str):
            payload = reply.body.encode()
        else:
            payload = json.dumps(reply.body if reply.body is not None else {}).encode()
        try:
            handler.send_response(reply.status)
            headers = {"Content-Type": "application/json; charset=utf-8", **reply.headers}
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _default(self, route: str, path: str, query: dict, headers: dict, body: bytes) -> Reply:
        auth = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        if route == "socialdata":
            return self._socialdata(query, auth)
        if route == "x":
            return self._x(query, auth)
        if route.startswith("bluesky."):
            return self._bluesky(route, query, auth, body)
        if route == "mastodon.search":
            return self._mastodon_search(path, query, auth)
        if route == "mastodon.trends":
            return self._mastodon_trends()
        if route == "hackernews":
            return self._hackernews(query)
        if route == "lemmy":
            return self._lemmy(path, query)
        return self._mastodon(path, query)

    # SocialData: {next_cursor, tweets}
    def _socialdata(self, query: dict, auth: str) -> Reply:
        if auth != f"Bearer {SOCIALDATA_KEY}":
            return Reply(401, {"status": "error", "message": "Unauthorized"})
        q = query.get("query", [""])[0]
        since_id = int(m.group(1)) if (m := re.search(r"since_id:(\d+)", q)) else 0
        offset = int(query.get("cursor", ["0"])[0])
        ids = [n for n in range(self.count) if self._tweet_id(n) > since_id]
        if self.corpus is not None:
            ids = [n for n in ids if x_matches(q, self._tweet(n))]
        page = ids[offset : offset + 20]
        tweets = [
            {
                "tweet_created_at": self._created(n).strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
                "id": self._tweet_id(n),
                "id_str": str(self._tweet_id(n)),
                "text": None,
                "full_text": self._text(n),
                "lang": "en",
                "user": {"id_str": str(n % 17), "name": f"User {n % 17}", "screen_name": f"user{n % 17}"},
                "favorite_count": n % 11,
                "retweet_count": n % 3,
                "reply_count": n % 2,
                "entities": {"hashtags": [{"text": self.keyword}, {"text": f"post{n % 5}"}]},
            }
            for n in page
        ]
        for n, tweet in zip(page, tweets, strict=True):
            if (doc := self._doc(n)) is not None:
                tweet["lang"] = doc.lang
                tweet["user"] = {"id_str": str(n), "name": doc.author, "screen_name": doc.author}
                tweet["entities"] = {"hashtags": [{"text": t} for t in doc.hashtags()]}
        more = offset + 20 < len(ids)
        return Reply(200, {"next_cursor": str(offset + 20) if more else None, "tweets": tweets})

    # X v2: {data, includes.users, meta}
    def _x(self, query: dict, auth: str) -> Reply:
        if auth != f"Bearer {X_TOKEN}":
            return Reply(401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"})
        max_results = int(query.get("max_results", ["10"])[0])
        if not 10 <= max_results <= 100:
            return Reply(400, {"errors": [{"message": "max_results out of range"}], "title": "Invalid Request"})
        since_id = int(query.get("since_id", ["0"])[0])
        offset = int(query.get("next_token", ["0"])[0])
        ids = [n for n in range(self.count) if self._tweet_id(n) > since_id]
        if self.corpus is not None:
            q = query.get("query", [""])[0]
            ids = [n for n in ids if x_matches(q, self._tweet(n))]
        page = ids[offset : offset + max_results]
        if not page:
            return Reply(200, {"meta": {"result_count": 0}})
        data = [
            {
                "id": str(self._tweet_id(n)),
                "text": self._text(n),
                "created_at": _iso(self._created(n)),
                "author_id": str(100 + n % 13),
                "lang": "en",
                "edit_history_tweet_ids": [str(self._tweet_id(n))],
                "public_metrics": {"retweet_count": n % 3, "reply_count": n % 2, "like_count": n % 11,
                                   "quote_count": 0, "bookmark_count": 0, "impression_count": 10},
                "entities": {"hashtags": [{"start": 0, "end": 5, "tag": self.keyword}]},
            }
            for n in page
        ]  # fmt: skip
        users = [{"id": str(100 + k), "username": f"xuser{k}", "name": f"X User {k}"} for k in range(13)]
        for n, tweet in zip(page, data, strict=True):
            if (doc := self._doc(n)) is not None:
                tweet.update(author_id=str(10_000 + n), lang=doc.lang)
                tweet["entities"] = {"hashtags": [{"start": 0, "end": 1, "tag": t} for t in doc.hashtags()]}
                users.append({"id": str(10_000 + n), "username": doc.author, "name": doc.author})
        meta = {"newest_id": data[0]["id"], "oldest_id": data[-1]["id"], "result_count": len(data)}
        if offset + max_results < len(ids):
            meta["next_token"] = str(offset + max_results)
        return Reply(200, {"data": data, "includes": {"users": users}, "meta": meta})

    # Bluesky: createSession / refreshSession / searchPosts
    def _issue_session(self) -> dict:
        with self._lock:
            self._token_serial += 1
            serial = self._token_serial
            self.access_token = _jwt({"sub": "did:plc:tester", "exp": int(time.time()) + 7200, "n": serial})
            self.refresh_token = f"refresh-{serial}"
            return {
                "did": "did:plc:tester",
                "handle": BLUESKY_HANDLE,
                "accessJwt": self.access_token,
                "refreshJwt": self.refresh_token,
            }

    def _bluesky(self, route: str, query: dict, auth: str, body: bytes) -> Reply:
        if route == "bluesky.createSession":
            try:
                creds = json.loads(body or b"{}")
            except ValueError:
                return Reply(400, {"error": "InvalidRequest", "message": "bad JSON"})
            if creds.get("identifier") != BLUESKY_HANDLE or creds.get("password") != BLUESKY_PASSWORD:
                return Reply(401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"})
            return Reply(200, self._issue_session())
        if route == "bluesky.refreshSession":
            if not self.refresh_token or auth != f"Bearer {self.refresh_token}":
                return Reply(400, {"error": "ExpiredToken", "message": "Token has expired"})
            return Reply(200, self._issue_session())
        if not self.access_token or auth != f"Bearer {self.access_token}":
            return Reply(401, {"error": "ExpiredToken", "message": "Token has expired"})
        limit = int(query.get("limit", ["25"])[0])
        offset = int(query.get("cursor", ["0"])[0])
        since = query.get("since", [None])[0]
        ns = [n for n in range(self.count) if self._hit(bluesky_matches, query.get("q", [""])[0], n)]
        if since:
            since_dt = datetime.fromisoformat(since.replace("Z", "+00:00"))
            ns = [n for n in ns if self._created(n) >= since_dt]
        page = ns[offset : offset + limit]
        posts = [
            {
                "uri": f"at://did:plc:author{n % 7}/app.bsky.feed.post/rkey{n}",
                "cid": f"cid{n}",
                "author": {"did": f"did:plc:author{n % 7}", "handle": f"author{n % 7}.bsky.social"},
                "record": {
                    "$type": "app.bsky.feed.post",
                    "text": self._text(n),
                    "createdAt": _iso(self._created(n)),
                    "langs": ["en"],
                    "facets": [{"features": [{"$type": "app.bsky.richtext.facet#tag", "tag": self.keyword}]}],
                },
                "replyCount": n % 2,
                "repostCount": n % 3,
                "likeCount": n % 11,
                "quoteCount": 0,
                "indexedAt": _iso(self._created(n)),
                "labels": [],
            }
            for n in page
        ]
        for n, view in zip(page, posts, strict=True):
            if (doc := self._doc(n)) is not None:
                view["author"] = {"did": f"did:plc:{doc.author}", "handle": doc.author}
                view["record"]["langs"] = [doc.lang]
                view["record"]["facets"] = [
                    {"features": [{"$type": "app.bsky.richtext.facet#tag", "tag": t}]} for t in doc.hashtags()
                ]
        answer: dict[str, Any] = {"posts": posts, "hitsTotal": len(ns)}
        if offset + limit < len(ns):
            answer["cursor"] = str(offset + limit)
        return Reply(200, answer)

    def _html(self, n: int) -> str:
        link = f'<a href="https://origin.example/tags/x" class="mention hashtag">#<span>{self.keyword}</span></a>'
        return "<p>" + self._text(n).replace(f"#{self.keyword}", link, 1) + " &amp; more<br>second line</p>"

    # Mastodon: array of Status under /mastodon/<instance>/api/v1/timelines/tag/<tag>
    def _mastodon(self, path: str, query: dict) -> Reply:
        instance = path.split("/")[2]
        if instance not in self.mastodon_instances:
            return Reply(404, {"error": "Record not found"})
        if instance in self.mastodon_login_required:
            return Reply(401, {"error": "The access token is invalid"})
        index = self.mastodon_instances.index(instance)
        # Instance k knows global posts [k*count/2, k*count/2 + count): neighbours overlap by half.
        first = index * self.count // 2 if self.corpus is None else 0
        ns = list(range(first, first + self.count))
        if self.corpus is not None:
            tag = unquote(path.rsplit("/", 1)[-1])
            ns = [n for n in ns if mastodon_matches(tag, self.corpus[n])]
        local_id = {n: str(10_000_000 - n) for n in ns}
        limit = min(40, int(query.get("limit", ["20"])[0]))
        max_id = int(query.get("max_id", ["999999999"])[0])
        since_id = int(query.get("since_id", ["0"])[0])
        page = [n for n in ns if since_id < int(local_id[n]) < max_id][:limit]
        statuses = [
            {
                "id": local_id[n],
                "uri": f"https://origin.example/users/u{n % 9}/statuses/{n}",
                "url": f"https://origin.example/@u{n % 9}/{n}",
                "created_at": _iso(self._created(n)),
                "content": self._html(n),
                "spoiler_text": "",
                "language": "en",
                "visibility": "public",
                "sensitive": False,
                "account": {"id": str(n % 9), "username": f"u{n % 9}", "acct": f"u{n % 9}@origin.example"},
                "replies_count": n % 2,
                "reblogs_count": n % 3,
                "favourites_count": n % 11 + index,
                "tags": [{"name": self.keyword, "url": "https://origin.example/tags/x"}],
                "reblog": None,
            }
            for n in page
        ]
        for n, status in zip(page, statuses, strict=True):
            if (doc := self._doc(n)) is not None:
                status.update(content=f"<p>{escape(doc.text)}</p>", language=doc.lang)
                status["account"] = {"id": str(n), "username": doc.author, "acct": doc.author}
                status["tags"] = [{"name": t, "url": f"https://origin.example/tags/{t}"} for t in doc.hashtags()]
        return Reply(200, statuses)

    def _status(self, n: int, index: int = 0) -> dict:
        return {
            "id": str(10_000_000 - n),
            "uri": f"https://origin.example/users/u{n % 9}/statuses/{n}",
            "url": f"https://origin.example/@u{n % 9}/{n}",
            "created_at": _iso(self._created(n)),
            "content": self._html(n),
            "spoiler_text": "",
            "language": "en",
            "visibility": "public",
            "sensitive": False,
            "account": {"id": str(n % 9), "username": f"u{n % 9}", "acct": f"u{n % 9}@origin.example"},
            "replies_count": n % 2,
            "reblogs_count": n % 3,
            "favourites_count": n % 11 + index,
            "tags": [{"name": self.keyword, "url": "https://origin.example/tags/x"}],
            "reblog": None,
        }

    # Mastodon full-text search: {accounts, statuses, hashtags}, user token required for statuses
    def _mastodon_search(self, path: str, query: dict, auth: str) -> Reply:
        if auth != f"Bearer {MASTODON_TOKEN}":
            return Reply(200, {"accounts": [], "statuses": [], "hashtags": []})  # anonymous: no statuses
        limit = min(40, int(query.get("limit", ["20"])[0]))
        offset = int(query.get("offset", ["0"])[0])
        # Search finds posts without the hashtag too: global posts beyond the hashtag timelines' range.
        ns = list(range(self.count * 10, self.count * 10 + self.count))[offset : offset + limit]
        statuses = [dict(self._status(n), tags=[]) for n in ns]
        return Reply(200, {"accounts": [], "statuses": statuses, "hashtags": []})

    # Mastodon trends: [Tag{name, url, history[{day, uses, accounts}]}]
    def _mastodon_trends(self) -> Reply:
        midnight = self.now.replace(hour=0, minute=0, second=0)
        tags = [
            {
                "name": tag,
                "url": f"https://origin.example/tags/{tag}",
                "history": [
                    {"day": str(int((midnight - timedelta(days=d)).timestamp())), "uses": str(u), "accounts": "1"}
                    for d, u in enumerate(uses)
                ],
            }
            for tag, uses in self.trending.items()
        ]
        return Reply(200, tags)

    # Hacker News (Algolia search_by_date): {hits, nbHits, page, nbPages, hitsPerPage}
    def _hackernews(self, query: dict) -> Reply:
        filters = query.get("numericFilters", [""])[0]
        bounds = re.findall(r"created_at_i(>=|>|<=|<)(\d+)", filters)
        per_page = min(1000, int(query.get("hitsPerPage", ["20"])[0]))
        page = int(query.get("page", ["0"])[0])

        compare = {">=": int.__ge__, ">": int.__gt__, "<=": int.__le__, "<": int.__lt__}

        def keep(n: int) -> bool:
            at = int(self._created(n).timestamp())
            return all(compare[op](at, int(value)) for op, value in bounds)

        text = query.get("query", [""])[0]
        ns = [n for n in range(self.count) if keep(n) and self._hit(algolia_matches, text, n)]
        reachable = ns[:1000]  # Algolia serves about 1,000 hits per query
        hits = []
        for n in reachable[page * per_page : (page + 1) * per_page]:
            created = self._created(n)
            hit = {
                "objectID": str(40_000_000 - n),
                "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "created_at_i": int(created.timestamp()),
                "author": f"hn{n}",
                "points": n % 7 if n % 3 == 0 else None,
                "num_comments": n % 4 if n % 3 == 0 else None,
                "_tags": ["story" if n % 3 == 0 else "comment", f"author_hn{n}"],
            }
            doc = self._doc(n)
            if doc is not None:
                hit["author"] = doc.author
                if doc.title:
                    hit.update(title=doc.title, url=doc.url or None, story_text=escape(doc.text) or None)
                else:
                    hit.update(comment_text=f"<p>{escape(doc.text)}</p>", story_id=1, parent_id=1)
            elif n % 3 == 0:
                hit.update(title=self._text(n), url=f"https://blog.example/{n}", story_text=None)
            else:
                hit.update(comment_text=f"<p>{self._text(n)}</p><p>&gt; quoted</p>", story_id=1, parent_id=1)
            hits.append(hit)
        pages = -(-len(reachable) // per_page) if per_page else 0
        return Reply(200, {"hits": hits, "nbHits": len(ns), "page": page, "nbPages": pages, "hitsPerPage": per_page,
                           "processingTimeMS": 1, "query": query.get("query", [""])[0]})  # fmt: skip

    # Lemmy search: {type_, posts: [PostView], comments: [CommentView], communities, users}
    def _lemmy(self, path: str, query: dict) -> Reply:
        instance = path.split("/")[2]
        if instance not in self.lemmy_instances:
            return Reply(404, {"error": "not_found"})
        index = self.lemmy_instances.index(instance)
        first = index * self.count // 2 if self.corpus is None else 0
        ns = list(range(first, first + self.count))
        if self.corpus is not None:
            ns = [n for n in ns if lemmy_matches(query.get("q", [""])[0], self.corpus[n])]
        limit = min(50, int(query.get("limit", ["10"])[0]))
        page = max(1, int(query.get("page", ["1"])[0]))
        chunk = ns[(page - 1) * limit : page * limit]
        posts, comments = [], []
        for n in chunk:
            created = self._created(n)
            # Older Lemmy versions send `published` without a zone (UTC).
            published = created.strftime("%Y-%m-%dT%H:%M:%S.000000") if n % 4 == 0 else _iso(created)
            creator = {"id": n, "name": f"lemmer{n}", "actor_id": f"https://lemmy.example/u/lemmer{n}"}
            doc = self._doc(n)
            if doc is not None:
                creator["name"] = doc.author
            if doc is not None and not doc.title:
                comments.append({
                    "comment": {"id": n, "content": doc.text, "published": published,
                                "ap_id": f"https://lemmy.example/comment/{n}"},
                    "creator": creator, "post": {"id": 1, "name": "thread"}, "counts": {"score": 1},
                })  # fmt: skip
            elif doc is not None or n % 2 == 0:
                title, body = (doc.title, doc.text) if doc is not None else (self._text(n), "details")
                posts.append({
                    "post": {"id": n, "name": title, "body": body, "published": published,
                             "ap_id": f"https://lemmy.example/post/{n}", "nsfw": False},
                    "creator": creator, "community": {"name": "tech"},
                    "counts": {"score": n % 9, "upvotes": n % 9, "downvotes": 0, "comments": n % 4,
                               "published": published},
                })  # fmt: skip
            else:
                comments.append({
                    "comment": {"id": n, "content": self._text(n), "published": published,
                                "ap_id": f"https://lemmy.example/comment/{n}"},
                    "creator": creator, "post": {"id": 1, "name": "thread"},
                    "counts": {"score": n % 5, "upvotes": n % 5, "downvotes": 0},
                })  # fmt: skip
        return Reply(200, {"type_": "All", "posts": posts, "comments": comments, "communities": [], "users": []})
