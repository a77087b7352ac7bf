"""The simulation behind the demo app database.

The world advances one hour at a time. Each hour draws its randomness from a generator seeded with
(world seed, hour), and per-user behaviour comes from columnar state (numpy arrays), so a world is
the same for the same seed and clock, and `advance` continues exactly where `generate` stopped.
Only active users are visited in Python; choosing who is active is vectorised.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field

import numpy as np

from demo.app_world import catalog as c
from demo.app_world.sink import RowSink, ts

HOUR = 3600
DAY = 24 * HOUR
MONTH = 30 * DAY
PLANS = ("free", "pro", "business", "enterprise")
PLAN_CODE = {name: code for code, name in enumerate(PLANS)}
# Weekday peaks (Mon..Sun) and a daily rhythm (UTC hours), both normalised to mean 1.
WEEKDAY_WEIGHT = np.array([1.15, 1.2, 1.15, 1.1, 1.0, 0.7, 0.7])
HOUR_WEIGHT = np.array([0.3, 0.2, 0.15, 0.15, 0.2, 0.3, 0.5, 0.8, 1.1, 1.3, 1.4, 1.4,
                        1.4, 1.45, 1.5, 1.5, 1.45, 1.4, 1.35, 1.3, 1.2, 1.0, 0.7, 0.45])
HOUR_WEIGHT = HOUR_WEIGHT / HOUR_WEIGHT.mean()

USER_ARRAYS = ("user_id", "signup", "churn", "plan", "balance", "lifetime", "next_alloc", "p_active",
               "videos_rate", "prompts_rate", "last_active", "key_id", "key_valid", "last_asset", "creator_idx",
               "deleted")
STUDENT_ARRAYS = ("student_id", "s_creator", "s_signup", "s_churn", "s_p_active", "s_last_active", "s_deleted")
CREATOR_ARRAYS = ("creator_id", "creator_user_idx", "popularity")
LESSON_ARRAYS = ("lesson_creator_idx", "lesson_video_id", "lesson_duration")
QUIZ_ARRAYS = ("quiz_id", "quiz_creator_idx", "quiz_difficulty", "quiz_first_question", "quiz_questions")
# Per quiz question, at index question id - 1 (questions are numbered 1, 2, ... as they are created).
QUESTION_ARRAYS = ("question_difficulty", "question_correct")
PENDING_ARRAYS = ("pending_kind", "pending_ref", "pending_due", "pending_value")
# Deferred changes: a video finishing processing, a refund, a soft delete.
VIDEO_DONE, VIDEO_FAILED, REFUND, VIDEO_DELETED, TEMPLATE_DELETED, USER_DELETED, ENROLLMENT_DROPPED = range(1, 8)
# Random streams of their own (seeded with the world seed, the stream and an id or hour) for behaviour added after
# the hourly stream was laid down: drawing from it would shift every later row of every table.
QUIZ_QUESTIONS_STREAM, QUIZ_ANSWERS_STREAM, CREATOR_EXPORTS_STREAM = 101, 102, 103


def _empty(dtype: str = "int64") -> np.ndarray:
    return np.zeros(0, dtype=dtype)


@dataclass
class World:
    """Everything needed to continue the simulation; saved between `generate` and `advance`."""

    seed: int
    clock: int                     # epoch seconds: everything before it has happened
    user_rate_per_hour: float      # mean signups per hour when the base is `target_users` strong
    target_users: int = 1
    ids: dict[str, int] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    template_usage: dict[int, int] = field(default_factory=dict)
    changelog: list[list[int]] = field(default_factory=list)   # [id, published_at, views]
    next_release: int = 0
    # append()'s room to grow: each array in `arrays` is a view of the start of its buffer here
    _buffers: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    # --- persistence (no pickle: arrays as .npz, the rest as JSON) ------------------------------
    def dumps(self) -> tuple[bytes, str]:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **self.arrays)
        meta = {"seed": self.seed, "clock": self.clock, "user_rate_per_hour": self.user_rate_per_hour,
                "target_users": self.target_users, "ids": self.ids,
                "template_usage": {str(k): v for k, v in self.template_usage.items()},
                "changelog": self.changelog, "next_release": self.next_release}
        return buffer.getvalue(), json.dumps(meta)

    @classmethod
    def loads(cls, blob: bytes, meta_json: str) -> World:
        meta = json.loads(meta_json)
        with np.load(io.BytesIO(blob), allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        # A world saved before quizzes had questions: its quizzes have none (attempts on them have no answers).
        for name in ("quiz_first_question", "quiz_questions"):
            arrays.setdefault(name, np.zeros(len(arrays["quiz_id"]), dtype="int64"))
        arrays.setdefault("question_difficulty", _empty("float64"))
        arrays.setdefault("question_correct", _empty())
        return cls(seed=meta["seed"], clock=meta["clock"], user_rate_per_hour=meta["user_rate_per_hour"],
                   target_users=meta["target_users"], ids=meta["ids"], arrays=arrays,
                   template_usage={int(k): v for k, v in meta["template_usage"].items()},
                   changelog=meta["changelog"], next_release=meta["next_release"])

    # --- helpers ---------------------------------------------------------------------------------
    def next_id(self, table: str) -> int:
        self.ids[table] = self.ids.get(table, 0) + 1
        return self.ids[table]

    def a(self, name: str) -> np.ndarray:
        return self.arrays[name]

    def append(self, values: dict[str, object]) -> None:
        """Add one element to each named array. Amortised: np.append copies the whole array, and one sign-up at a
        time that is quadratic (a 1M-user world spent hours copying). Each array is a view of a buffer that doubles
        when full; an array replaced by other code (a filtered copy) starts a new buffer."""
        for name, value in values.items():
            current = self.arrays[name]
            size = len(current)
            buffer = self._buffers.get(name)
            if buffer is None or current.base is not buffer or size == len(buffer):
                buffer = np.empty(max(16, 2 * size), dtype=current.dtype)
                buffer[:size] = current
                self._buffers[name] = buffer
            buffer[size] = value
            self.arrays[name] = buffer[: size + 1]


def new_world(seed: int, start: int, users: int, days: int) -> World:
    # A fifth of the users exist when the window opens; signups grow with the base (word of mouth),
    # from 0.7x to about 1.5x the mean rate over the window.
    rate = 0.8 * users / (days * 24) / 1.1
    world = World(seed=seed, clock=start, user_rate_per_hour=rate, target_users=users)
    floats = ("p_active", "videos_rate", "prompts_rate", "popularity", "s_p_active", "quiz_difficulty",
              "question_difficulty")
    bools = ("key_valid", "deleted", "s_deleted")
    for name in (*USER_ARRAYS, *STUDENT_ARRAYS, *CREATOR_ARRAYS, *LESSON_ARRAYS, *QUIZ_ARRAYS, *QUESTION_ARRAYS,
                 *PENDING_ARRAYS):
        world.arrays[name] = _empty("float64" if name in floats else "bool" if name in bools else "int64")
    return world


class Simulation:
    """Runs hours of a World, writing every row it creates or changes."""

    def __init__(self, world: World, sink: RowSink) -> None:
        self.w = world
        self.sink = sink
        # Changes to rows written earlier, coalesced per row: {(table, id): {column: value}}. The caller
        # applies them after the inserts, so each changed row is updated once per run.
        self.updates: dict[tuple[str, int], dict] = {}
        self.rng = np.random.default_rng(0)
        self.until = world.clock

    def _update(self, table: str, row_id: int, values: dict) -> None:
        self.updates.setdefault((table, row_id), {}).update(values)

    # --- population -----------------------------------------------------------------------------
    def seed_population(self, users: int, start: int) -> None:
        """Templates, past releases, and the users who signed up before the window opens."""
        rng = np.random.default_rng([self.w.seed, 0])
        self.rng = rng
        for index in range(40):
            template_id = self.w.next_id("templates")
            created = start - int(rng.integers(30, 400)) * DAY
            category = c.TEMPLATE_CATEGORIES[index % len(c.TEMPLATE_CATEGORIES)]
            content = c.CONTENT_TYPES[int(rng.choice(len(c.CONTENT_TYPES), p=c.CONTENT_WEIGHTS))]
            deleted = start + int(rng.integers(5, 60)) * DAY if index == 37 else None
            self.sink.add("templates", (
                template_id, f"{category.title()} #{index + 1}", category, content,
                f"https://cdn.vidspark.example/templates/{template_id}.jpg", 0, ts(created),
                ts(created), None))
            if deleted is not None:
                self._defer(TEMPLATE_DELETED, template_id, deleted, 0)
        release = start - 90 * DAY
        while release < start:
            self._publish_release(release, rng)
            release += int(rng.integers(7, 22)) * DAY
        self.w.next_release = release
        existing = max(1, users // 5)
        for _ in range(existing):
            self._sign_up(start - int(rng.integers(1, 365 * DAY)), rng, backfill=True)

    def _publish_release(self, at: int, rng: np.random.Generator) -> None:
        entry_id = self.w.next_id("changelog_entries")
        has_video = rng.random() < 0.6
        self.w.changelog.append([entry_id, at, 0])
        topic = ("faster renders", "new templates", "bring your own key", "better exports", "quizzes")[entry_id % 5]
        media = f"https://cdn.vidspark.example/changelog/{entry_id}"
        self.sink.add("changelog_entries", (
            entry_id, f"Release 2.{entry_id}: {topic}", f"2.{entry_id}.0", 0, f"{media}.mp4" if has_video else None,
            f"{media}.jpg" if rng.random() < 0.8 else None, ts(at), ts(at - DAY), ts(at)))

    def _sign_up(self, at: int, rng: np.random.Generator, backfill: bool = False) -> None:
        user_id = self.w.next_id("users")
        is_creator = rng.random() < 0.03
        role = "creator" if is_creator else ("admin" if rng.random() < 0.005 else "user")
        plan = "free"
        creator_idx = -1
        if is_creator:
            tier = ("enterprise", "business", "pro")[int(rng.choice(3, p=(0.6, 0.25, 0.15)))]
            plan = tier
        elif backfill and rng.random() < 0.2:
            plan = ("pro", "business")[int(rng.random() < 0.3)]
        first, last = c.FIRST_NAMES[user_id % 20], c.LAST_NAMES[(user_id // 20) % 15]
        churn = at + int(rng.exponential(75 * DAY)) if rng.random() < 0.75 else 2**62
        engagement = float(rng.lognormal(0, 0.8))
        country = c.COUNTRIES[int(rng.choice(len(c.COUNTRIES), p=c.COUNTRY_WEIGHTS))]
        source = c.SIGNUP_SOURCES[int(rng.choice(len(c.SIGNUP_SOURCES), p=c.SIGNUP_WEIGHTS))]
        deleted = bool(rng.random() < 0.01)
        self.sink.add("users", (user_id, f"{first.lower()}.{last.lower()}.{user_id}@example.com",
                                f"{first} {last}", plan, role, country, source, None, ts(at), ts(at), None))
        index = len(self.w.a("user_id"))
        self.w.append({
            "user_id": user_id, "signup": at, "churn": 2**62 if is_creator else churn, "plan": PLAN_CODE[plan],
            "balance": 0, "lifetime": 0, "next_alloc": at,
            # Creators build courses: they come back more often and make more videos.
            "p_active": min(0.3, 0.008 * engagement * (4 if is_creator else 1)),
            "videos_rate": 0.5 * engagement * (2 if is_creator else 1), "prompts_rate": 0.8 + 0.5 * engagement,
            "last_active": 0, "key_id": 0,
            "key_valid": False, "last_asset": 0, "creator_idx": -1, "deleted": deleted,
        })
        self.sink.add("user_credits", (self.w.next_id("user_credits"), user_id, 0, 0, None, ts(at), ts(at)))
        if backfill:  # their past billing months are history we do not replay: start at the next one
            self.w.arrays["next_alloc"][index] = at + (-(-(self.w.clock - at) // MONTH)) * MONTH
        if deleted and churn < 2**62:
            self._defer(USER_DELETED, user_id, churn + 30 * DAY, index)
        if is_creator:
            creator_id = self.w.next_id("creators")
            creator_idx = len(self.w.a("creator_id"))
            self.w.append({"creator_id": creator_id, "creator_user_idx": index,
                           "popularity": float(rng.pareto(1.5) + 0.2)})
            self.w.arrays["creator_idx"][index] = creator_idx
            self.sink.add("creators", (creator_id, user_id, f"{first} {last} Academy", plan, ts(at), ts(at), None))
        if rng.random() < 0.08:
            key_id = self.w.next_id("user_api_keys")
            valid = bool(rng.random() < 0.88)
            self.w.arrays["key_id"][index] = key_id
            self.w.arrays["key_valid"][index] = valid
            provider = c.KEY_PROVIDERS[int(rng.random() < 0.3)]
            created = min(at + int(rng.integers(60, DAY)), self.until - 1)
            self.sink.add("user_api_keys", (key_id, user_id, provider, f"{int(rng.integers(0, 9999)):04d}",
                                            "Personal", valid, ts(created), None, ts(created), ts(created), None))

    # --- the hourly step ---------------------------------------------------------------------------
    def run(self, until: int, progress=None, task=None) -> None:
        self.until = until  # the clock this run stops at: no row is stamped later than it
        while self.w.clock < until:
            hour_start = self.w.clock
            self.rng = np.random.default_rng([self.w.seed, hour_start // HOUR])
            self._hour(hour_start, hour_start + HOUR)
            self.w.clock = hour_start + HOUR
            if progress is not None and task is not None:
                progress.advance(task)

    def _hour(self, start: int, end: int) -> None:
        rng = self.rng
        self._apply_pending(start, end)
        if start >= self.w.next_release:
            self._publish_release(start + int(rng.integers(0, HOUR)), rng)
            self.w.next_release = start + int(rng.integers(7, 22)) * DAY
        hour_weight = HOUR_WEIGHT[(start // HOUR) % 24] * WEEKDAY_WEIGHT[((start // DAY) + 3) % 7]
        base = len(self.w.a("user_id"))
        for _ in range(int(rng.poisson(self.w.user_rate_per_hour * hour_weight * (0.5 + base / self.w.target_users)))):
            self._sign_up(start + int(rng.integers(0, HOUR)), rng)
        if len(self.w.a("creator_id")):
            student_rate = 0.6 * self.w.user_rate_per_hour * hour_weight
            for _ in range(int(rng.poisson(student_rate))):
                self._enrol_student(start + int(rng.integers(0, HOUR)), rng)
        self._renewals(start, end)
        self._user_sessions(start, end, hour_weight)
        self._student_sessions(start, end, hour_weight)
        self._creator_exports(start, hour_weight)
        if self.w.changelog:
            recent = self.w.changelog[-3:]
            for entry in recent:
                entry[2] += int(rng.binomial(max(1, base // 50), 0.2))

    # --- users ---------------------------------------------------------------------------------------
    def _user_sessions(self, start: int, end: int, hour_weight: float) -> None:
        w, rng = self.w, self.rng
        signup, churn, p_active = w.a("signup"), w.a("churn"), w.a("p_active")
        draw = rng.random(len(signup))
        active = np.flatnonzero((signup < start) & (churn > start) & (draw < p_active * hour_weight))
        for index in active:
            self._session(int(index), start + int(rng.integers(0, HOUR)), self.until)

    def _session(self, index: int, at: int, world_end: int) -> None:
        w, rng = self.w, self.rng
        user_id = int(w.a("user_id")[index])
        at = self._after_last_action(index, at)
        self._update("users", user_id, {"last_login_at": ts(at), "updated_at": ts(at)})
        t = at
        # Nothing happens after the world's clock: a visit that would run past it stops early.
        for _ in range(1 + int(rng.poisson(w.a("prompts_rate")[index]))):
            t += int(rng.integers(20, 240))
            if t >= world_end - 300:
                break
            self._prompt(user_id, t, None)
        for _ in range(int(rng.poisson(w.a("videos_rate")[index]))):
            if t >= world_end - 1800:
                break
            t = self._video(index, user_id, PLANS[int(w.a("plan")[index])], t + int(rng.integers(60, 900)),
                            world_end)
        if rng.random() < 0.12 and t + 30 < world_end:
            t += 30
            self._upload(index, user_id, t)
        w.arrays["last_active"][index] = t

    def _after_last_action(self, index: int, at: int) -> int:
        """A user does one thing at a time: a visit that ran past the hour pushes the next one back."""
        return max(at, int(self.w.a("last_active")[index]) + 1)
    def _prompt(self, user_id: int, at: int, video_id: int | None) -> None:
        rng = self.rng
        tokens = int(rng.integers(20, 400))
        self.sink.add("messages", (self.w.next_id("messages"), user_id, video_id, "user",
                                   "Make a 30s video about " + c.CONTENT_TYPES[tokens % 5], tokens, ts(at), ts(at)))
        model_index = int(rng.choice(len(c.LLM_MODELS), p=[m[2] for m in c.LLM_MODELS]))
        provider, model, _ = c.LLM_MODELS[model_index]
        success = bool(rng.random() > 0.03 + 0.04 * (model_index == 5))
        response_ms = int(rng.lognormal(7.2 + 0.3 * (model_index in (0, 2, 5)), 0.5))
        output_tokens = int(rng.integers(150, 1200)) if success else 0
        self.sink.add("api_usage_metrics", (
            self.w.next_id("api_usage_metrics"), user_id, video_id, provider, model,
            c.LLM_TOOLS[int(rng.integers(0, len(c.LLM_TOOLS)))], tokens + int(rng.integers(300, 2500)),
            output_tokens, response_ms, success,
            None if success else c.LLM_ERRORS[int(rng.integers(0, len(c.LLM_ERRORS)))],
            ts(at + 1), ts(at + 1)))
        if success:
            self.sink.add("messages", (self.w.next_id("messages"), user_id, video_id, "assistant",
                                       "Here is a scene plan with three shots.", output_tokens,
                                       ts(at + response_ms // 1000 + 1), ts(at + response_ms // 1000 + 1)))

    def _credit(self, index: int, user_id: int, kind: str, amount: int, at: int, **extra) -> int:
        balance = int(self.w.a("balance")[index]) + amount
        self.w.arrays["balance"][index] = balance
        self.w.arrays["last_active"][index] = max(int(self.w.a("last_active")[index]), at)
        if amount > 0 and kind != "refund":
            self.w.arrays["lifetime"][index] += amount
        txn_id = self.w.next_id("credit_transactions")
        description = {"purchase": "Credit pack purchase", "usage": "Video generation", "refund": "Refund",
                       "expiration": "Unused credits expired", "plan_allocation": "Monthly plan credits"}[kind]
        self.sink.add("credit_transactions", (
            txn_id, user_id, kind, amount, balance, description, extra.get("plan"), extra.get("pack_id"),
            extra.get("cents"), extra.get("video_id"), extra.get("reference"), ts(at), ts(at)))
        self._update("user_credits", user_id, {
            "available_credits": balance, "lifetime_credits": int(self.w.a("lifetime")[index]),
            "expires_at": ts(at + 90 * DAY), "updated_at": ts(at)})
        return txn_id

    def _video(self, index: int, user_id: int, plan: str, at: int, world_end: int) -> int:
        """One video attempt; returns when the user is done with it (a paywall visit takes time)."""
        w, rng = self.w, self.rng
        provider = c.PROVIDERS[int(rng.choice(4, p=c.PROVIDER_WEIGHTS))]
        low, high = c.PROVIDER_CREDITS[provider]
        credits = int(rng.integers(low, high + 1))
        creator_idx = int(w.a("creator_idx")[index])
        content = "course_lesson" if creator_idx >= 0 and rng.random() < 0.7 else \
            c.CONTENT_TYPES[int(rng.choice(4, p=np.array(c.CONTENT_WEIGHTS[:4]) / sum(c.CONTENT_WEIGHTS[:4])))]
        template_id = int(rng.zipf(1.6)) if rng.random() < 0.55 else None
        if template_id is not None and template_id > 40:
            template_id = int(rng.integers(1, 41))
        video_id = w.next_id("videos")
        creator_id = int(w.a("creator_id")[creator_idx]) if creator_idx >= 0 and content == "course_lesson" else None
        title = f"{content.replace('_', ' ').title()} #{video_id}"
        if rng.random() < 0.1 or int(w.a("balance")[index]) < credits:
            # Started but not generated: a draft; short on credits means a trip to the paywall.
            self.sink.add("videos", (video_id, user_id, creator_id, template_id, title, content, "draft", None, 0,
                                     None, None, ts(at), ts(at), None, None))
            if int(w.a("balance")[index]) < credits:
                return self._paywall(index, user_id, plan, at + 20)
            return at
        done_at = at + int(rng.lognormal(5.6, 0.6))
        failed = rng.random() < 0.07
        duration = int(rng.integers(15, 300 if content == "course_lesson" else 90))
        thumb = f"https://cdn.vidspark.example/videos/{video_id}.jpg"
        if done_at >= world_end:
            self.sink.add("videos", (video_id, user_id, creator_id, template_id, title, content, "processing",
                                     provider, credits, duration, None, ts(at), ts(at), None, None))
            self._defer(VIDEO_FAILED if failed else VIDEO_DONE, video_id, done_at, user_id)
        else:
            self.sink.add("videos", (video_id, user_id, creator_id, template_id, title, content,
                                     "failed" if failed else "completed", provider, credits, duration,
                                     None if failed else thumb, ts(at), ts(done_at),
                                     None if failed else ts(done_at), None))
        self._credit(index, user_id, "usage", -credits, at + 1, video_id=video_id)
        self.sink.add("api_usage_log", (w.next_id("api_usage_log"), video_id, user_id, provider, credits,
                                        ts(at + 2), ts(at + 2)))
        if template_id is not None:
            self.sink.add("template_usage", (w.next_id("template_usage"), template_id, user_id, video_id, ts(at),
                                             ts(at)))
            w.template_usage[template_id] = w.template_usage.get(template_id, 0) + 1
        self._prompt(user_id, at + 5, video_id)
        for position in range(1, int(rng.integers(2, 6))):
            scene_id = w.next_id("scenes")
            scene_at = at + 10 * position
            self.sink.add("scenes", (scene_id, video_id, user_id, position, f"Shot {position} of {title}",
                                     ts(scene_at), ts(scene_at), None))
            for step in range(int(rng.poisson(1.2))):
                edit = c.EDIT_TYPES[int(rng.choice(3, p=c.EDIT_WEIGHTS))]
                it_at = scene_at + 30 * (step + 1)
                self.sink.add("scene_iterations", (w.next_id("scene_iterations"), scene_id, user_id, edit,
                                                   bool(rng.random() < 0.8), ts(it_at), ts(it_at)))
        if rng.random() < 0.03:
            self._defer(VIDEO_DELETED, video_id, at + int(rng.integers(1, 40)) * DAY, user_id)
        if failed:
            return at + 60
        if creator_id is not None:
            self.w.append({"lesson_creator_idx": creator_idx, "lesson_video_id": video_id,
                           "lesson_duration": duration})
            if rng.random() < 0.5:
                quiz_id = w.next_id("quizzes")
                difficulty = float(rng.beta(2, 3))
                self.sink.add("quizzes", (quiz_id, creator_id, video_id, f"Quiz: {title}", 70, ts(done_at),
                                          ts(done_at), None))
                first_question, questions = self._quiz_questions(quiz_id, done_at)
                self.w.append({"quiz_id": quiz_id, "quiz_creator_idx": creator_idx, "quiz_difficulty": difficulty,
                               "quiz_first_question": first_question, "quiz_questions": questions})
        self._ready_page(index, user_id, plan, video_id, done_at)
        export_at = done_at + int(rng.integers(30, 3600))
        if rng.random() < 0.55 and export_at + 600 < world_end:
            self._export(user_id, video_id, export_at, world_end)
        return at + 60

    def _ready_page(self, index: int, user_id: int, plan: str, video_id: int, at: int) -> None:
        rng = self.rng
        events = ["arrived"] + [name for name, p in c.READY_ACTIONS if rng.random() < p]
        if bool(self.w.a("key_valid")[index]) and rng.random() < 0.6:
            events.append("generate_with_own_key")
            self._update("user_api_keys", int(self.w.a("key_id")[index]),
                         {"last_used_at": ts(at), "updated_at": ts(at)})
        elif rng.random() < (0.25 if plan == "free" else 0.5):
            events.append("generate_with_credits")
        for offset, event in enumerate(events):
            self.sink.add("video_ready_events", (self.w.next_id("video_ready_events"), user_id, video_id, event,
                                                 plan, ts(at + 5 * offset), ts(at + 5 * offset)))

    def _export(self, user_id: int, video_id: int, at: int, world_end: int) -> None:
        rng = self.rng
        export_id = self.w.next_id("exports")
        fmt = c.EXPORT_FORMATS[int(rng.choice(3, p=c.EXPORT_FORMAT_WEIGHTS))]
        render = float(np.round(rng.lognormal(3.4 + 0.5 * (fmt == "gif"), 0.5), 2))
        failed = rng.random() < (0.06 + 0.1 * (fmt == "gif"))
        error = c.EXPORT_ERRORS[int(rng.choice(5, p=c.EXPORT_ERROR_WEIGHTS))] if failed else None
        done = at + int(render) + 1
        status = "failed" if failed else "completed"
        size = None if failed else int(rng.integers(2, 80) * 1_000_000)
        self.sink.add("exports", (export_id, video_id, user_id, fmt, status, render, size, error, ts(at), ts(done),
                                  ts(done)))
        self.sink.add("export_analytics", (self.w.next_id("export_analytics"), export_id, "started", "encode", 0,
                                           None, ts(at), ts(at)))
        self.sink.add("export_analytics", (self.w.next_id("export_analytics"), export_id, status,
                                           "finalize" if failed else "upload", int(render * 1000), error, ts(done),
                                           ts(done)))

    def _upload(self, index: int, user_id: int, at: int) -> None:
        rng = self.rng
        previous = int(self.w.a("last_asset")[index])
        memory_id = self.w.next_id("project_memory")
        asset_type = c.ASSET_TYPES[int(rng.choice(4, p=c.ASSET_WEIGHTS))]
        reused = previous if previous and rng.random() < 0.3 else None
        size = int(rng.lognormal(13 + 2 * (asset_type == "video"), 1))
        self.sink.add("project_memory", (memory_id, user_id, None, "uploaded_asset", asset_type,
                                         f"https://cdn.vidspark.example/assets/{memory_id}", size, reused, ts(at),
                                         ts(at), None))
        self.w.arrays["last_asset"][index] = memory_id

    def _paywall(self, index: int, user_id: int, plan: str, at: int) -> int:
        """A walk down the paywall funnel; returns when the user leaves it."""
        rng = self.rng
        session = f"pw_{user_id}_{at}"
        package = list(c.CREDIT_PACKS)[int(rng.choice(4, p=c.PACK_WEIGHTS))]
        # Steps stop at the first drop-off: 1 = viewed only ... 4 = completed.
        steps = 1
        for step_conversion in (0.6, 0.65, 0.75):
            if rng.random() >= step_conversion:
                break
            steps += 1
        t = at
        for step in c.PAYWALL_STEPS[:steps]:
            self.sink.add("paywall_events", (self.w.next_id("paywall_events"), user_id, session, step,
                                             None if step == "viewed" else package, plan, ts(t), ts(t)))
            t += int(rng.integers(5, 180))
        if steps < 4:
            return t
        if plan == "free" and rng.random() < 0.45:
            new_plan = "business" if rng.random() < 0.25 else "pro"
            self._change_plan(index, user_id, new_plan, t)
            self._renew(index, user_id, t, may_change=False)
            return t + 2
        cents, credits = c.CREDIT_PACKS[package]
        txn = self._credit(index, user_id, "purchase", credits, t, pack_id=package, cents=cents)
        if rng.random() < 0.06:
            self._defer(REFUND, txn, t + int(rng.integers(1, 6)) * DAY, index)
        return t + 1

    def _change_plan(self, index: int, user_id: int, plan: str, at: int) -> None:
        self.w.arrays["plan"][index] = PLAN_CODE[plan]
        self._update("users", user_id, {"plan": plan, "updated_at": ts(at)})

    def _renewals(self, start: int, end: int) -> None:
        """Billing months that begin this hour. They are booked at the top of the hour, before any
        session, so every user's ledger is in time order (balance_after is a running sum)."""
        due = np.flatnonzero((self.w.a("next_alloc") < end) & (self.w.a("signup") < end))
        signup = self.w.a("signup")
        for index in due:
            at = self._after_last_action(int(index), max(start, int(signup[index])))
            self._renew(int(index), int(self.w.a("user_id")[index]), at)

    def _renew(self, index: int, user_id: int, at: int, may_change: bool = True) -> None:
        """A billing month begins: paid plans may churn or change, then get their credits."""
        rng = self.rng
        plan = PLANS[int(self.w.a("plan")[index])]
        churned = at > int(self.w.a("churn")[index])
        if may_change and plan in c.PAID_PLANS and int(self.w.a("creator_idx")[index]) < 0:
            roll = rng.random()
            if churned or roll < 0.05:
                plan = "free"
            elif plan == "pro" and roll < 0.09:
                plan = "business"
            elif plan == "business" and roll < 0.09:
                plan = "pro"
            if plan != PLANS[int(self.w.a("plan")[index])]:
                self._change_plan(index, user_id, plan, at)
        self.w.arrays["next_alloc"][index] = at + MONTH
        if churned and plan == "free":
            return
        balance = int(self.w.a("balance")[index])
        monthly = c.PLAN_MONTHLY_CREDITS[plan]
        if balance > 2 * monthly:
            self._credit(index, user_id, "expiration", -(balance - 2 * monthly), at)
        self._credit(index, user_id, "plan_allocation", monthly, at + 1, plan=plan,
                     cents=c.PLAN_PRICE_CENTS[plan])

    # --- students of creators ----------------------------------------------------------------------
    def _enrol_student(self, at: int, rng: np.random.Generator) -> None:
        popularity = self.w.a("popularity")
        creator_idx = int(rng.choice(len(popularity), p=popularity / popularity.sum()))
        creator_id = int(self.w.a("creator_id")[creator_idx])
        student_id = self.w.next_id("students")
        first, last = c.FIRST_NAMES[(student_id * 7) % 20], c.LAST_NAMES[(student_id * 3) % 15]
        churn = at + int(rng.exponential(40 * DAY)) if rng.random() < 0.8 else 2**62
        self.w.append({"student_id": student_id, "s_creator": creator_idx, "s_signup": at, "s_churn": churn,
                       "s_p_active": float(min(0.4, rng.lognormal(-3.3, 0.7))), "s_last_active": 0,
                       "s_deleted": False})
        self.sink.add("students", (student_id, creator_id, f"student{student_id}@school.example",
                                   f"{first} {last}", None, ts(at), ts(at), None))
        enrollment_id = self.w.next_id("enrollments")
        self.sink.add("enrollments", (enrollment_id, student_id, creator_id, "active", ts(at), ts(at), ts(at)))
        if churn < 2**62:
            self._defer(ENROLLMENT_DROPPED, enrollment_id, churn + 14 * DAY, student_id)

    def _student_sessions(self, start: int, end: int, hour_weight: float) -> None:
        w, rng = self.w, self.rng
        if not len(w.a("student_id")) or not len(w.a("lesson_video_id")):
            return
        signup, churn, p_active = w.a("s_signup"), w.a("s_churn"), w.a("s_p_active")
        draw = rng.random(len(signup))
        active = np.flatnonzero((signup < start) & (churn > start) & (draw < p_active * hour_weight))
        lesson_creator = w.a("lesson_creator_idx")
        for index in active:
            creator_idx = int(w.a("s_creator")[index])
            lessons = np.flatnonzero(lesson_creator == creator_idx)
            if not len(lessons):
                continue
            student_id = int(w.a("student_id")[index])
            creator_id = int(w.a("creator_id")[creator_idx])
            at = start + int(rng.integers(0, HOUR))
            w.arrays["s_last_active"][index] = at
            self._update("students", student_id, {"last_active_at": ts(at), "updated_at": ts(at)})
            for _ in range(1 + int(rng.poisson(0.6))):
                lesson = int(rng.choice(lessons))
                watched_video = int(w.a("lesson_video_id")[lesson])
                self._watch(student_id, creator_id, watched_video, int(w.a("lesson_duration")[lesson]), at)
                at += int(rng.integers(60, 900))
            quizzes = np.flatnonzero(w.a("quiz_creator_idx") == creator_idx)
            if len(quizzes) and rng.random() < 0.25:
                quiz = int(rng.choice(quizzes))
                ability = int(np.clip(rng.normal(92 - 45 * w.a("quiz_difficulty")[quiz], 12), 0, 100))
                attempt_id = w.next_id("quiz_attempts")
                score, answers = self._answer_quiz(attempt_id, quiz, ability, at)
                self.sink.add("quiz_attempts", (attempt_id, int(w.a("quiz_id")[quiz]), student_id, score, score >= 70,
                                                ts(at), ts(at)))
                for answer in answers:  # after their attempt: a flush between them would break the foreign key
                    self.sink.add("quiz_answers", answer)
            if rng.random() < 0.3:
                question = c.STUDENT_QUESTIONS[min(int(rng.zipf(1.5)) - 1, len(c.STUDENT_QUESTIONS) - 1)]
                session = f"chat_{student_id}_{at}"
                rating = int(rng.choice([1, 2, 3, 4, 5], p=(0.04, 0.04, 0.08, 0.3, 0.54)))
                # The chat sits beside the lesson player: the session is about the lesson watched last.
                self.sink.add("chat_messages", (w.next_id("chat_messages"), creator_id, student_id, watched_video,
                                                session, "user", question, None, ts(at), ts(at)))
                self.sink.add("chat_messages", (w.next_id("chat_messages"), creator_id, student_id, watched_video,
                                                session, "assistant", "Here is what the lesson says about that.",
                                                rating if rng.random() < 0.6 else None, ts(at + 4), ts(at + 4)))

    def _quiz_questions(self, quiz_id: int, at: int) -> tuple[int, int]:
        """A new quiz's 5-10 multiple-choice questions, each harder or easier than the quiz; returns (first question
        id, count). Their ids are consecutive, so the quiz needs only those two numbers to find them again."""
        w = self.w
        rng = np.random.default_rng([w.seed, QUIZ_QUESTIONS_STREAM, quiz_id])
        count = int(rng.integers(5, 11))
        first = 0
        for position in range(1, count + 1):
            question_id = w.next_id("quiz_questions")
            first = first or question_id
            correct = int(rng.integers(0, len(c.QUIZ_OPTIONS)))
            w.append({"question_difficulty": float(rng.beta(2, 2)), "question_correct": correct})
            if len(w.a("question_correct")) != question_id:
                raise RuntimeError(f"quiz question {question_id} is not at index {question_id - 1} of its arrays")
            stem = c.QUIZ_QUESTION_STEMS[int(rng.integers(0, len(c.QUIZ_QUESTION_STEMS)))]
            self.sink.add("quiz_questions", (question_id, quiz_id, position, f"Q{position}. {stem}",
                                             c.QUIZ_OPTIONS[correct], ts(at), ts(at), None))
        return first, count

    def _answer_quiz(self, attempt_id: int, quiz: int, ability: int, at: int) -> tuple[int, list[tuple]]:
        """The attempt's answer to every question of the quiz and its score, round(100 x correct / questions).

        `ability` (0-100) is the score the student would get on a question of average difficulty; a harder
        question is missed more often, and a wrong answer most often picks the same tempting option. A quiz from a
        world saved before quizzes had questions has none: its attempt scores `ability` and has no answers."""
        w = self.w
        count = int(w.a("quiz_questions")[quiz])
        if not count:
            return ability, []
        first = int(w.a("quiz_first_question")[quiz])
        rng = np.random.default_rng([w.seed, QUIZ_ANSWERS_STREAM, attempt_id])
        difficulty = w.a("question_difficulty")[first - 1: first - 1 + count]
        correct_option = w.a("question_correct")[first - 1: first - 1 + count]
        is_correct = rng.random(count) < np.clip(ability / 100 + 0.9 * (0.5 - difficulty), 0.03, 0.98)
        offsets = rng.choice(np.array([1, 2, 3]), size=count, p=(0.6, 0.25, 0.15))  # the wrong option picked
        answers = []
        for index in range(count):
            selected = int(correct_option[index]) if is_correct[index] else (int(correct_option[index])
                                                                             + int(offsets[index])) % 4
            answers.append((w.next_id("quiz_answers"), attempt_id, first + index, c.QUIZ_OPTIONS[selected],
                            bool(is_correct[index]), ts(at), ts(at)))
        correct = int(is_correct.sum())
        return (200 * correct + count) // (2 * count), answers

    def _creator_exports(self, start: int, hour_weight: float) -> None:
        """Enterprise creators export data from their dashboard (the Creator Dashboard doc's export_logs), about once in
        5 days.

        PDF and Excel are "coming soon" in the doc, so asking for them fails; so does a file over the 100 MB limit
        and, now and then, the storage upload. Exports finish within the hour they start."""
        w = self.w
        if not len(w.a("creator_id")):
            return
        rng = np.random.default_rng([w.seed, CREATOR_EXPORTS_STREAM, start // HOUR])
        user_index = w.a("creator_user_idx")
        enterprise = (w.a("plan")[user_index] == PLAN_CODE["enterprise"]) & (w.a("signup")[user_index] < start)
        chosen = np.flatnonzero(enterprise & (rng.random(len(user_index)) < hour_weight / (5 * 24)))
        for creator_idx in chosen:
            creator_id = int(w.a("creator_id")[creator_idx])
            log_id = w.next_id("export_logs")
            at = start + int(rng.integers(0, HOUR - 120))
            export_type = c.EXPORT_LOG_TYPES[int(rng.choice(len(c.EXPORT_LOG_TYPES), p=c.EXPORT_LOG_TYPE_WEIGHTS))]
            fmt = c.EXPORT_LOG_FORMATS[int(rng.choice(len(c.EXPORT_LOG_FORMATS), p=c.EXPORT_LOG_FORMAT_WEIGHTS))]
            size = int(rng.lognormal(11 + 1.5 * (export_type in ("chat", "analytics")), 1.6))
            filters = {"status": "active"} if export_type == "students" and rng.random() < 0.4 else {}
            done = at + int(rng.integers(2, 90))
            if fmt in ("pdf", "xlsx"):
                error = f"Export format {fmt} is not available yet"
            elif size > c.EXPORT_LOG_MAX_BYTES:
                error = "File exceeds the 100 MB export limit"
            elif rng.random() < 0.03:
                error = "Storage upload failed: bucket permission denied"
            else:
                error = None
            self.sink.add("export_logs", (
                log_id, creator_id, export_type, fmt,
                None if error else f"https://storage.vidspark.example/exports/{creator_id}/{log_id}.{fmt}",
                None if error else size, json.dumps(filters), "failed" if error else "completed", error, ts(at),
                ts(done), None if error else ts(done)))

    def _watch(self, student_id: int, creator_id: int, video_id: int, duration: int, at: int) -> None:
        """One viewing: most people leave early, a steady trickle mid-way, a bump of completers."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.3:
            share = rng.exponential(0.12)
        elif roll < 0.72:
            share = rng.uniform(0.15, 0.95)
        else:
            share = rng.uniform(0.95, 1.0)
        share = float(min(share, 1.0))
        watched = int(duration * share)
        self.sink.add("video_progress", (self.w.next_id("video_progress"), student_id, creator_id, video_id,
                                         watched, round(100 * share, 2), share >= 0.9, ts(at + watched), ts(at),
                                         ts(at + watched)))

    # --- deferred changes ---------------------------------------------------------------------------
    def _defer(self, kind: int, ref: int, due: int, value: int) -> None:
        self.w.append({"pending_kind": kind, "pending_ref": ref, "pending_due": due, "pending_value": value})

    def _apply_pending(self, start: int, end: int) -> None:
        """Changes falling due this hour, booked at the top of the hour (like renewals)."""
        due_at = self.w.a("pending_due")
        due = np.flatnonzero(due_at < end)
        if not len(due):
            return
        for position in due:
            kind = int(self.w.a("pending_kind")[position])
            ref, at, value = (int(self.w.a("pending_ref")[position]), max(start, int(due_at[position])),
                              int(self.w.a("pending_value")[position]))
            if kind in (VIDEO_DONE, VIDEO_FAILED):
                done = kind == VIDEO_DONE
                self._update("videos", ref, {
                    "status": "completed" if done else "failed", "completed_at": ts(at) if done else None,
                    "thumbnail_url": f"https://cdn.vidspark.example/videos/{ref}.jpg" if done else None,
                    "updated_at": ts(at)})
            elif kind == VIDEO_DELETED:
                self._update("videos", ref, {"deleted_at": ts(at), "updated_at": ts(at)})
            elif kind == TEMPLATE_DELETED:
                self._update("templates", ref, {"deleted_at": ts(at), "updated_at": ts(at)})
            elif kind == USER_DELETED:
                self._update("users", ref, {"deleted_at": ts(at), "updated_at": ts(at)})
            elif kind == ENROLLMENT_DROPPED:
                self._update("enrollments", ref, {"status": "dropped", "updated_at": ts(at)})
            elif kind == REFUND:
                balance = int(self.w.a("balance")[value])
                user_id = int(self.w.a("user_id")[value])
                # The money goes back in full; the credits come back out as far as any are left.
                self._credit(value, user_id, "refund", -min(balance, 100), self._after_last_action(value, at),
                             reference=ref)
        keep = np.ones(len(due_at), dtype=bool)
        keep[due] = False
        for name in PENDING_ARRAYS:
            self.w.arrays[name] = self.w.arrays[name][keep]
