"""One simulated student: a websocket client that speaks Streamlit's own protocol.

It does what the browser's frontend does, with the same protobufs
(``streamlit.proto.BackMsg_pb2`` / ``ForwardMsg_pb2``), and nothing it need not do (no drawing,
no media downloads):

- open ``ws://HOST:PORT/_stcore/stream`` with the ``streamlit`` subprotocol and ask for a page
  with a ``rerun_script`` BackMsg: the first time by its URL path (``page_name``, as a browser
  opening ``/kernels`` does), later by the ``page_script_hash`` the ``navigation`` message gave;
- read the ForwardMsgs of the run (``new_session``, ``delta``, ``script_finished``) into a
  :class:`Screen`: which elements are on screen (by delta path), which widgets (their proto:
  id, label, range, options, current value), in which fragment each one lives;
- change a widget as the frontend does: a new ``rerun_script`` whose ``widget_states`` hold the
  current value of every widget on screen with the changed one, and whose ``fragment_id`` is the
  widget's fragment (so only that fragment reruns); a button click is a ``trigger_value``.

The latency of an interaction is from sending its ``rerun_script`` to the ``script_finished``
that ends it (``FINISHED_EARLY_FOR_RERUN`` does not: an ``st.rerun()`` starts another run first).
Nothing needs sending periodically: the server's websocket pings are answered by the
``websockets`` library as long as the reader task runs, and the frontend's ``app_heartbeat``
is only sent when a host page asks for it.

Like a browser, a student first loads the page over HTTP (``GET /``) and keeps the cookies the
answer sets, then sends them on its websocket upgrade and on any later HTTP request. A single
server sets none; a load balancer in front of several replicas pins the student to one of them
with its cookie (``deploy/nginx/cnnplay.conf``, ``benchmarks/replicas.py``). With
``Behaviour.fetch_media`` a student also downloads the images on screen (``/media/...``, from
``st.image``) after each run, as a browser does, and a download that fails is an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.cookiejar
import random
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.Slider_pb2 import Slider
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

CHANGEABLE = ("slider", "select_slider", "number_input", "selectbox", "radio")  # what students move
TAB_SHARE = 0.2  # share of widget changes that open another tab instead (where a page has tabs)
FINAL = {  # script_finished statuses that end an interaction -> how it is reported
    ForwardMsg.FINISHED_SUCCESSFULLY: "page",
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY: "fragment",
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR: "compile_error",
}
MAX_RECONNECTS = 3  # a student whose connection is lost opens a new session at most this often


@dataclass
class Widget:
    """A widget on screen, as its element delta described it."""

    id: str  # the widget id (the key of its WidgetState)
    kind: str  # "slider" | "select_slider" | "number_input" | "selectbox" | "radio" | "tabs" | "button"
    label: str  # its label (for tabs: "" until the tab labels arrived)
    path: tuple[int, ...]  # its delta path
    fragment_id: str  # the fragment it lives in ("" for none: a change reruns the page)
    script_hash: str  # the script that created it (app.py's sidebar or the page)
    proto: Any  # its element proto (Slider, NumberInput, ...; TabContainer for tabs)


@dataclass
class Interaction:
    """One request of one student and what came back."""

    student: int  # the student's number
    page: str  # the page's URL path ("home" for the default page)
    action: str  # "open" (a page), "change" (a widget), "tab" (another tab), "train" (a button)
    widget: str  # the changed widget's label ("" for "open")
    latency_s: float | None  # rerun_script sent -> its script_finished; None when it failed
    run: str = ""  # "page" (the whole script ran), "fragment", "compile_error"
    exceptions: list[str] = field(default_factory=list)  # "Type: message" of exception elements
    error: str | None = None  # "timeout", "connection lost: ...", "page not found", ...
    changed: bool = False  # whether the elements shown (widgets aside) differ after the run
    cut: bool = False  # still waiting when the run's hard deadline came (not an error)


def _widget_from_element(kind: str, proto: Any) -> str | None:
    """The widget kind of an element, or None when a student does not touch it."""
    if kind == "slider":
        if proto.type == Slider.SELECT_SLIDER or proto.options:
            return "select_slider"
        return "slider" if proto.data_type in (Slider.INT, Slider.FLOAT) else None
    if kind in ("number_input", "selectbox", "radio", "button"):
        return kind
    return None


class Screen:
    """What the frontend would show: elements by delta path, the widgets among them and their
    current values, the pages of the app. Fed one ForwardMsg at a time."""

    def __init__(self) -> None:
        self.run_no = 0  # counts the runs started (new_session messages)
        self.run_fragments: tuple[str, ...] = ()  # fragments of the current run (empty: full run)
        # path -> (run number when last sent, message hash, fragment id)
        self.elements: dict[tuple[int, ...], tuple[int, str, str]] = {}
        self.widgets: dict[tuple[int, ...], Widget] = {}  # path -> widget
        self.values: dict[str, tuple[str, Any]] = {}  # widget id -> (WidgetState field, value)
        self.tab_labels: dict[tuple[int, ...], dict[int, str]] = {}  # tab container path -> labels
        self.pages: dict[str, str] = {}  # URL path -> page_script_hash
        self.page_hash = ""  # the page on screen
        self.main_hash = ""  # app.py's script hash (its sidebar widgets stay across pages)
        self.session_id = ""  # the server's id of this session (from new_session)
        self.media: dict[tuple[int, ...], tuple[str, ...]] = {}  # path -> its images' URLs
        self.exceptions: list[str] = []  # exception elements since the last take_exceptions()
        self.errors: list[str] = []  # page_not_found and the like since the last take_errors()

    # -- reading -------------------------------------------------------------------------------

    def handle(self, msg: ForwardMsg) -> int | None:
        """Apply one message; returns the script_finished status when it ends a run."""
        kind = msg.WhichOneof("type")
        if kind == "delta":
            self._delta(msg)
        elif kind == "new_session":
            self.run_no += 1
            self.run_fragments = tuple(msg.metadata.run.fragment_ids)
            self.main_hash = msg.new_session.main_script_hash
            self.page_hash = msg.new_session.page_script_hash
            self.session_id = msg.new_session.initialize.session_id or self.session_id
            self._pages(msg.new_session.app_pages)
        elif kind == "navigation":  # st.navigation: the page that runs is named here
            self._pages(msg.navigation.app_pages)
            if msg.navigation.page_script_hash:
                self.page_hash = msg.navigation.page_script_hash
        elif kind == "script_finished":
            status = msg.script_finished
            if status in FINAL:
                self._prune(status)
                return status
        elif kind == "session_event":
            if msg.session_event.WhichOneof("type") == "script_compilation_exception":
                exc = msg.session_event.script_compilation_exception
                self.exceptions.append(f"{exc.type}: {exc.message}")
        elif kind == "page_not_found":
            self.errors.append(f"page not found: {msg.page_not_found.page_name!r}")
        return None

    def _pages(self, app_pages: Sequence[Any]) -> None:
        for page in app_pages:
            self.pages[page.url_pathname or "home"] = page.page_script_hash
            if page.is_default:
                self.pages.setdefault("home", page.page_script_hash)

    def _delta(self, msg: ForwardMsg) -> None:
        path = tuple(msg.metadata.delta_path)
        delta = msg.delta
        which = delta.WhichOneof("type")
        if which not in ("new_element", "add_block"):
            return  # transient nodes (spinners, toasts)
        self.elements[path] = (self.run_no, msg.hash, delta.fragment_id)
        self.widgets.pop(path, None)
        self.media.pop(path, None)
        script = msg.metadata.active_script_hash
        if which == "add_block":
            block = delta.add_block
            btype = block.WhichOneof("type")
            if btype == "tab_container" and block.tab_container.HasField("id"):
                proto = block.tab_container
                self.widgets[path] = Widget(
                    proto.id, "tabs", "", path, delta.fragment_id, script, proto
                )
                self.tab_labels[path] = {}
            elif btype == "tab":
                self.tab_labels.setdefault(path[:-1], {})[path[-1]] = block.tab.label
            return
        element = delta.new_element
        etype = element.WhichOneof("type")
        if etype == "exception":
            if not element.exception.is_warning:
                self.exceptions.append(f"{element.exception.type}: {element.exception.message}")
            return
        if etype == "imgs":  # st.image: the browser downloads each URL (server-relative)
            self.media[path] = tuple(img.url for img in element.imgs.imgs)
            return
        proto = getattr(element, etype) if etype else None
        wkind = _widget_from_element(etype, proto) if etype else None
        if wkind is None or proto.disabled or getattr(proto, "form_id", ""):
            return
        widget = Widget(proto.id, wkind, proto.label, path, delta.fragment_id, script, proto)
        self.widgets[path] = widget
        if wkind != "button":
            self._learn_value(widget)

    def _learn_value(self, w: Widget) -> None:
        """The widget's current value, as the frontend keeps it: the server's when it sets one
        (``set_value``), else the value already known for this id, else the default."""
        p = w.proto
        if not p.set_value and w.id in self.values:
            return
        if w.kind == "slider":
            value = list(p.value) if p.set_value else list(p.default)
            self.values[w.id] = ("double_array_value", value)
        elif w.kind == "select_slider":
            value = list(p.raw_value) if p.set_value else [p.options[int(i)] for i in p.default]
            self.values[w.id] = ("string_array_value", value)
        elif w.kind == "number_input":
            if p.set_value and p.HasField("value"):
                self.values[w.id] = ("double_value", p.value)
            elif p.HasField("default"):
                self.values[w.id] = ("double_value", p.default)
        elif w.kind in ("selectbox", "radio"):
            if p.set_value and p.HasField("raw_value"):
                self.values[w.id] = ("string_value", p.raw_value)
            elif p.HasField("default") and 0 <= p.default < len(p.options):
                self.values[w.id] = ("string_value", p.options[p.default])

    def _prune(self, status: int) -> None:
        """After a run, drop what it did not send again, as the frontend clears stale elements:
        everything after a full run, the run's fragments after a fragment run."""
        fragments = set(self.run_fragments)
        full = status != ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY or not fragments
        stale = [
            path
            for path, (run_no, _, fragment) in self.elements.items()
            if run_no < self.run_no and (full or fragment in fragments)
        ]
        for path in stale:
            del self.elements[path]
            self.widgets.pop(path, None)
            self.tab_labels.pop(path, None)
            self.media.pop(path, None)
        live = {w.id for w in self.widgets.values()}
        for wid in [wid for wid in self.values if wid not in live]:
            del self.values[wid]

    # -- what is on screen ---------------------------------------------------------------------

    def digest(self) -> int:
        """A fingerprint of the elements shown, widgets aside (their protos repeat as they are
        unless the server sets a value): differs when a run showed something else."""
        return hash(
            tuple(sorted((p, h) for p, (_, h, _) in self.elements.items() if p not in self.widgets))
        )

    def take_exceptions(self) -> list[str]:
        taken, self.exceptions = self.exceptions, []
        return taken

    def take_errors(self) -> list[str]:
        taken, self.errors = self.errors, []
        return taken

    def tab_value(self, w: Widget) -> str | None:
        """The open tab's label of a tabs widget."""
        if w.id in self.values:
            return self.values[w.id][1]
        labels = self.tab_labels.get(w.path, {})
        return labels.get(w.proto.default_tab_index)

    def states(self, only_script: str | None = None) -> WidgetStates:
        """Every widget's current value (of one script's widgets only, when given)."""
        states = WidgetStates()
        on_screen = {w.id: w for w in self.widgets.values()}
        for wid, (fname, value) in self.values.items():
            w = on_screen.get(wid)
            if w is None or (only_script is not None and w.script_hash != only_script):
                continue
            _set_state(states.widgets.add(), wid, fname, value)
        return states


def _set_state(state: WidgetState, wid: str, fname: str, value: Any) -> None:
    state.id = wid
    if fname in ("double_array_value", "string_array_value"):
        getattr(state, fname).data.extend(value)
    else:
        setattr(state, fname, value)


# -- choosing a new value ----------------------------------------------------------------------


def _step_index(rng: random.Random, index: int, size: int) -> int:
    """Another index in range(size): mostly a few steps away (a click or a drag), sometimes
    anywhere (a jump)."""
    if rng.random() < 0.3:
        new = rng.randrange(size)
    else:
        new = index + rng.choice((-3, -2, -1, -1, 1, 1, 2, 3))
    new = min(max(new, 0), size - 1)
    if new == index:  # at an end: go the other way
        new = index - 1 if index > 0 else index + 1
    return new


def new_value(rng: random.Random, w: Widget, screen: Screen) -> tuple[str, Any] | None:
    """A valid new value for a widget (within its range or options), or None when it has none."""
    p = w.proto
    current = screen.values.get(w.id, (None, None))[1]
    if w.kind in ("selectbox", "radio"):
        options = list(p.options)
        others = [o for o in options if o != current]
        return ("string_value", rng.choice(others)) if others else None
    if w.kind == "tabs":
        labels = screen.tab_labels.get(w.path, {})
        others = [label for label in labels.values() if label != screen.tab_value(w)]
        return ("string_value", rng.choice(others)) if others else None
    if w.kind == "select_slider":
        options = list(p.options)
        if len(options) < 2 or not current:
            return None
        values = list(current)
        i = rng.randrange(len(values))
        idx = options.index(values[i]) if values[i] in options else 0
        values[i] = options[_step_index(rng, idx, len(options))]
        if len(values) == 2:
            values.sort(key=options.index)
        return ("string_array_value", values)
    if w.kind == "slider":
        step = p.step or (1 if p.data_type == Slider.INT else 0.01)
        size = round((p.max - p.min) / step) + 1
        if size < 2 or not current:
            return None
        values = list(current)
        i = rng.randrange(len(values))
        idx = round((values[i] - p.min) / step)
        values[i] = _snap(p.min + _step_index(rng, min(max(idx, 0), size - 1), size) * step, p)
        return ("double_array_value", sorted(values))
    if w.kind == "number_input":
        step = p.step or 1
        if current is None:
            current = p.min if p.has_min else 0
        if p.has_min and p.has_max:
            size = round((p.max - p.min) / step) + 1
            if size < 2:
                return None
            idx = min(max(round((current - p.min) / step), 0), size - 1)
            return ("double_value", _snap(p.min + _step_index(rng, idx, size) * step, p))
        value = current + rng.choice((-2, -1, 1, 2)) * step
        if p.has_min and value < p.min:
            value = current + step
        if p.has_max and value > p.max:
            value = current - step
        return ("double_value", _snap(value, p))
    return None


def _snap(value: float, p: Any) -> float:
    """Round off float drift; whole numbers for integer widgets."""
    if p.data_type == 0:  # Slider.INT and NumberInput.INT are both 0
        return float(round(value))
    return round(value, 10)


# -- the student -------------------------------------------------------------------------------


@dataclass
class Behaviour:
    """How a student spends the lesson (every field has a bound, so every loop stops)."""

    weights: dict[str, float]  # URL path -> how often a student is on that page
    think_s: tuple[float, float] = (3.0, 8.0)  # pause between interactions, uniform in this range
    switch: float = 0.15  # chance that an interaction is a change of page
    timeout_s: float = 60.0  # one interaction that takes longer than this fails ("timeout")
    train_timeout_s: float = 600.0  # the same for a training run (it may wait in the queue)
    max_interactions: int = 1000  # a student stops after this many, whatever the time
    fetch_media: bool = False  # download the images on screen after each run, as a browser


class Student:
    """One browser tab of one student: a session on the server and its screen."""

    def __init__(self, number: int, ws_url: str, behaviour: Behaviour, seed: int) -> None:
        self.number = number
        self.ws_url = ws_url
        self.behaviour = behaviour
        self.rng = random.Random(seed)
        self.screen = Screen()
        self.log: list[Interaction] = []
        self.page = ""
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task | None = None
        self._waiter: asyncio.Future | None = None
        self._finished_at = 0.0
        self._reconnects = 0
        # the browser's cookie store: what the server (or a load balancer) sets, sent back
        self.cookies = http.cookiejar.CookieJar()
        self._http = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(self.cookies)
        )
        self._loaded = False  # the page was loaded over HTTP (once, before the first session)
        self._fetched: set[str] = set()  # media URLs downloaded (a browser's cache)

    @property
    def http_url(self) -> str:
        """The server's base URL: ``ws://HOST:PORT/_stcore/stream`` -> ``http://HOST:PORT``."""
        scheme, rest = self.ws_url.split("://", 1)
        return f"{'https' if scheme == 'wss' else 'http'}://{rest.removesuffix('/_stcore/stream')}"

    def get(self, path: str, timeout_s: float = 30.0) -> int:
        """GET ``path`` (server-relative) with this student's cookies, keep the cookies the
        answer sets; returns the HTTP status. Blocking: call it through ``asyncio.to_thread``."""
        try:
            with self._http.open(self.http_url + path, timeout=timeout_s) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as err:
            return err.code

    def _cookie_header(self) -> str | None:
        """The Cookie header a browser would send on the websocket upgrade (None: no cookie)."""
        request = urllib.request.Request(self.http_url + "/_stcore/stream")
        self.cookies.add_cookie_header(request)
        return request.get_header("Cookie")

    # -- the connection ------------------------------------------------------------------------

    async def connect(self, resume: str = "") -> None:
        """Open a new session (a fresh screen), or ask to resume the session ``resume`` as a
        browser tab does when its connection comes back (the server decides which it gets)."""
        self.screen = Screen()
        if not self._loaded:  # a browser loads the page before it opens the websocket
            self._loaded = True
            status = await asyncio.to_thread(self.get, "/")
            if status != 200:
                raise ConnectionError(f"GET / answered {status}")
        cookie = self._cookie_header()
        # the frontend's subprotocol list: "streamlit", its XSRF token (none here: this client
        # sends no Origin, so the server does not check one), the session to resume
        protocols = ["streamlit", "no-xsrf-token", resume] if resume else ["streamlit"]
        self._ws = await connect(
            self.ws_url,
            subprotocols=protocols,  # type: ignore[arg-type]
            max_size=None,  # Streamlit's own limit is server.maxMessageSize (200 MB)
            max_queue=None,  # the reader drains at once; never stall the server's sends
            ping_interval=None,  # like a browser: the server pings, the library answers
            open_timeout=30,
            proxy=None,
            additional_headers={"Cookie": cookie} if cookie else None,
        )
        self._reader = asyncio.create_task(self._read(self._ws), name=f"student-{self.number}")

    async def close(self) -> None:
        """Close the websocket (the server keeps the session for reconnection for a while)."""
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.close(), 10)
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        self._ws = self._reader = None

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                if isinstance(raw, str):
                    continue
                msg = ForwardMsg.FromString(raw)
                status = self.screen.handle(msg)
                if status is not None and self._waiter is not None and not self._waiter.done():
                    self._finished_at = time.perf_counter()
                    self._waiter.set_result(status)
            reason = "closed by the server"
        except ConnectionClosed as err:
            reason = f"connection lost: {err}"
        except Exception as err:  # noqa: BLE001 - report it on the interaction waiting
            reason = f"client error: {type(err).__name__}: {err}"
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(ConnectionError(reason))

    # -- one interaction -----------------------------------------------------------------------

    async def _rerun(
        self, inter: Interaction, client: Any, timeout_s: float, deadline: float
    ) -> Interaction:
        """Send one rerun_script, wait for the script_finished that ends it; fill ``inter``."""
        msg = BackMsg()
        msg.rerun_script.CopyFrom(client)
        before = self.screen.digest()
        self.screen.take_exceptions()
        self.screen.take_errors()
        loop = asyncio.get_running_loop()
        self._waiter = loop.create_future()
        limit = min(timeout_s, deadline - time.monotonic())
        sent = time.perf_counter()
        renew = False
        try:
            if self._ws is None:
                raise ConnectionError("not connected")
            await self._ws.send(msg.SerializeToString())
            status = await asyncio.wait_for(asyncio.shield(self._waiter), max(limit, 0.001))
            inter.latency_s = self._finished_at - sent
            inter.run = FINAL[status]
            inter.changed = self.screen.digest() != before
            expected = self.screen.pages.get(self.page)
            if expected and self.screen.page_hash != expected:
                inter.error = "the server ran another page"
        except TimeoutError:
            if limit < timeout_s:  # the run's hard deadline, not this interaction's timeout
                inter.cut = True
            else:
                inter.error, renew = "timeout", True
        except (ConnectionError, ConnectionClosed) as err:
            inter.error, renew = str(err) or type(err).__name__, True
        finally:
            waiter, self._waiter = self._waiter, None
            if not waiter.done():
                waiter.cancel()
        if renew:
            await self._renew()
        elif self.behaviour.fetch_media and inter.latency_s is not None:
            failed = await self._fetch_media()
            if failed and inter.error is None:
                inter.error = failed
        inter.exceptions = self.screen.take_exceptions()
        errors = self.screen.take_errors()
        if errors and inter.error is None:
            inter.error = errors[0]
        self.log.append(inter)
        return inter

    async def _fetch_media(self) -> str | None:
        """Download the images on screen not downloaded yet; the first failure, if any."""
        urls = {url for urls in self.screen.media.values() for url in urls} - self._fetched
        for url in sorted(u for u in urls if "://" not in u and not u.startswith("data:")):
            try:
                status = await asyncio.to_thread(self.get, "/" + url.lstrip("/"))
            except OSError as err:  # refused, reset, timed out
                return f"media {url}: {err}"
            if status != 200:
                return f"media {status}: {url}"
            self._fetched.add(url)
        return None

    async def _renew(self) -> None:
        """After a timeout or a lost connection the screen cannot be trusted: a new session."""
        await self.close()
        if self._reconnects >= MAX_RECONNECTS:
            return
        self._reconnects += 1
        with contextlib.suppress(Exception):
            await self.connect()

    def _client_state(self, *, page: str | None = None, fragment_id: str = "") -> Any:
        from streamlit.proto.ClientState_pb2 import ClientState

        state = ClientState()
        if page is not None:  # a change of page: by its hash once known, else its URL path
            page_hash = self.screen.pages.get(page, "")
            if page_hash:
                state.page_script_hash = page_hash
            else:
                state.page_name = "" if page == "home" else page
        else:
            state.page_script_hash = self.screen.page_hash
        state.fragment_id = fragment_id
        state.context_info.timezone = "UTC"
        state.context_info.locale = "en-US"
        state.context_info.url = f"{self.ws_url}/{self.page}"
        return state

    async def open(self, page: str, deadline: float) -> Interaction:
        """Go to a page (the frontend keeps the values of app.py's own widgets)."""
        self.page = page
        state = self._client_state(page=page)
        if self.screen.main_hash:
            state.widget_states.CopyFrom(self.screen.states(only_script=self.screen.main_hash))
        inter = Interaction(self.number, page, "open", "", None)
        return await self._rerun(inter, state, self.behaviour.timeout_s, deadline)

    async def change(self, w: Widget, value: tuple[str, Any], deadline: float) -> Interaction:
        """Set one widget to a new value, rerunning its fragment (or the page)."""
        self.screen.values[w.id] = value
        state = self._client_state(fragment_id=w.fragment_id)
        state.widget_states.CopyFrom(self.screen.states())
        action = "tab" if w.kind == "tabs" else "change"
        label = w.label or f"tab {value[1]}"
        inter = Interaction(self.number, self.page, action, label, None)
        return await self._rerun(inter, state, self.behaviour.timeout_s, deadline)

    async def press(self, w: Widget, deadline: float) -> Interaction:
        """Click a button (a trigger value, sent once with the other widgets' values)."""
        state = self._client_state(fragment_id=w.fragment_id)
        state.widget_states.CopyFrom(self.screen.states())
        trigger = state.widget_states.widgets.add()
        trigger.id = w.id
        trigger.trigger_value = True
        inter = Interaction(self.number, self.page, "train", w.label, None)
        return await self._rerun(inter, state, self.behaviour.train_timeout_s, deadline)

    # -- choices -------------------------------------------------------------------------------

    def choose_page(self, avoid: str = "") -> str:
        pages = [p for p in self.behaviour.weights if p != avoid] or list(self.behaviour.weights)
        return self.rng.choices(pages, [self.behaviour.weights[p] for p in pages])[0]

    def choose_change(self) -> tuple[Widget, tuple[str, Any]] | None:
        """A random widget on screen and a valid new value for it (tabs now and then)."""
        widgets = list(self.screen.widgets.values())
        tabs = [w for w in widgets if w.kind == "tabs"]
        others = [w for w in widgets if w.kind in CHANGEABLE]
        order = [tabs, others] if tabs and self.rng.random() < TAB_SHARE else [others, tabs]
        for group in order:
            for w in self.rng.sample(group, len(group)):
                value = new_value(self.rng, w, self.screen)
                if value is not None:
                    return w, value
        return None

    # -- the lesson ----------------------------------------------------------------------------

    async def _think(self, stop_at: float) -> bool:
        """Pause like a student reading the page; False when the lesson is over."""
        pause = self.rng.uniform(*self.behaviour.think_s)
        await asyncio.sleep(max(0.0, min(pause, stop_at - time.monotonic())))
        return time.monotonic() < stop_at

    def _lost(self) -> bool:
        return self._ws is None

    async def attend(self, stop_at: float, deadline: float) -> None:
        """Browse the weighted pages and change widgets until ``stop_at`` (no new interaction
        starts after it) or ``max_interactions``; an interaction never runs past ``deadline``."""
        if self._ws is None:
            await self.connect()
        await self.open(self.choose_page(), deadline)
        for _ in range(self.behaviour.max_interactions - 1):
            if self._lost() or not await self._think(stop_at):
                break
            choice = None if self.rng.random() < self.behaviour.switch else self.choose_change()
            if choice is None:
                await self.open(self.choose_page(avoid=self.page), deadline)
            else:
                await self.change(*choice, deadline)

    async def train(self, page: str, stop_at: float, deadline: float) -> None:
        """Sit on a training page: open its training tab, press its Train button, wait for the
        run to end, and again until ``stop_at``."""
        if self._ws is None:
            await self.connect()
        await self.open(page, deadline)
        for _ in range(self.behaviour.max_interactions - 1):
            if self._lost() or time.monotonic() >= stop_at:
                break
            tab = self._train_tab()
            if tab is not None:
                await self.change(tab[0], tab[1], deadline)
                continue
            button = self._train_button()
            if button is None:
                self.log.append(
                    Interaction(self.number, page, "train", "", None, error="no Train button")
                )
                break
            await self.press(button, deadline)
            if not await self._think(stop_at):
                break

    def _train_tab(self) -> tuple[Widget, tuple[str, Any]] | None:
        """The tabs widget and the label of a closed tab named "Train ...", if any."""
        for w in self.screen.widgets.values():
            if w.kind != "tabs":
                continue
            for label in self.screen.tab_labels.get(w.path, {}).values():
                if label.lower().startswith("train") and self.screen.tab_value(w) != label:
                    return w, ("string_value", label)
        return None

    def _train_button(self) -> Widget | None:
        """The page's Train button: a button labelled "Train ...", the primary one first."""
        buttons = [
            w for w in self.screen.widgets.values()
            if w.kind == "button" and w.label.lower().startswith("train")
        ]  # fmt: skip
        buttons.sort(key=lambda w: (w.proto.type != "primary", w.path))
        return buttons[0] if buttons else None
