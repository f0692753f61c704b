"""A lead's life over the history: interest episodes, deals, lifecycle dates.

Interest is a path, not a constant: a lead idles at a low level and now and then has an
interest episode (start, end, level). Activity is generated from the level at the time, and a
deal's outcome is drawn at its close date from the level of the episode that opened it, so
nothing generated before a close date depends on how the deal ends. A deal still open at
`as_of` has no outcome yet. The lifecycle dates follow the events (MQL from an episode, SQL from
a connected SDR sequence or a deal, opportunity at the first deal, customer at the first won
deal's close), so a stage says nothing about the future, only about the past.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from leadscore.synthetic.timeutil import DAY_MS

# tuned so that any 90-day horizon converts 2-6 % of the not-yet-converted (synthetic.measure)
FIRST_EPISODE_AT_CREATION = 0.55  # most leads arrive because something interested them
EPISODE_GAP_DAYS = 180.0          # mean idle time between episodes
EPISODE_DAYS = (10, 40.0, 150)    # minimum, mean extra, cap
IDLE_SHARE = 0.1                  # idle interest as a share of the lead's potential
MQL_LEVEL = 0.3                   # marketing automation's threshold on behaviour
LEFT_SHARE = 0.05                 # people who leave their company during the history
OTHER_SHARE = 0.02
EVANGELIST_SHARE = 0.12
SALES_CYCLE_DAYS = (14, 35.0)     # minimum, mean extra from deal creation to close
LOGGED_DEAL_SHARE = 0.75          # deals whose rep logs calls/meetings/emails in the CRM
OPEN_STAGES = ("appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin",
               "contractsent")


def p_deal(level: float) -> float:
    """Chance that an interest episode at `level` opens a deal."""
    return min(0.8, 1.0 * level ** 1.2)


def p_won(level: float) -> float:
    """Chance that a deal opened at `level` is won (drawn at its close date, not before)."""
    return 0.3 + 0.7 * level


@dataclass
class Segment:
    """[start, end) at one interest level; kind 'idle', 'episode' or 'customer' (after the win)."""

    start: int
    end: int
    level: float
    kind: str


@dataclass
class Deal:
    id: int
    created: int
    close: int                       # the close date (expected close while open)
    stage: str                       # current stage id
    stages: list[tuple[str, int]]    # stages entered, with when
    level: float
    logged: bool
    close_set: bool = True           # an open deal may have no expected close date yet

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    @property
    def last_change(self) -> int:
        return self.stages[-1][1]


@dataclass
class Outreach:
    """One SDR sequence of outbound calls and e-mails, and whether the lead answered."""

    start: int
    connected: bool


@dataclass
class Timeline:
    created: int
    end: int                          # as_of, or when the person left the company
    segments: list[Segment] = field(default_factory=list)
    deals: list[Deal] = field(default_factory=list)
    outreach: list[Outreach] = field(default_factory=list)
    stage_dates: dict[str, int] = field(default_factory=dict)
    stage: str = "lead"
    converted_at: int | None = None
    left_at: int | None = None

    def level_at(self, ms: int) -> float:
        for seg in self.segments:
            if seg.start <= ms < seg.end:
                return seg.level
        return self.segments[-1].level if self.segments and ms >= self.segments[-1].end else 0.0


def days(rng: random.Random, minimum: float, mean_extra: float, cap: float | None = None) -> int:
    d = minimum + rng.expovariate(1.0 / mean_extra)
    return int((min(d, cap) if cap else d) * DAY_MS)


class TimelineBuilder:
    """Draws timelines from the generator's one random stream (so a seed fixes them all)."""

    def __init__(self, rng: random.Random, as_of_ms: int, first_deal_id: int):
        self.rng = rng
        self.as_of = as_of_ms
        self.next_deal_id = first_deal_id

    def build(self, created: int, potential: float, targeted: float, subscriber_first: bool) -> Timeline:
        """`potential`: the lead's interest ceiling; `targeted`: how much SDRs want it (firmographics only)."""
        rng = self.rng
        tl = Timeline(created, self.as_of)
        if rng.random() < LEFT_SHARE:
            tl.left_at = tl.end = created + int(rng.random() * (self.as_of - created))
        idle = IDLE_SHARE * potential
        t = created if rng.random() < FIRST_EPISODE_AT_CREATION else created + days(rng, 0, EPISODE_GAP_DAYS)
        cursor = created
        while t < tl.end and tl.converted_at is None:
            level = min(0.97, potential * (0.45 + 0.7 * rng.random()))
            end = t + days(rng, *EPISODE_DAYS)
            deal = self.maybe_deal(tl, t, end, level)
            if deal:
                end = max(end, deal.close)
            end = min(end, tl.end)
            if t > cursor:
                tl.segments.append(Segment(cursor, t, idle, "idle"))
            tl.segments.append(Segment(t, end, level, "episode"))
            if level >= MQL_LEVEL and rng.random() < 0.75:
                self.reach(tl, "marketingqualifiedlead", t + days(rng, 1, 4))
            cursor = end
            t = end + days(rng, 0, EPISODE_GAP_DAYS)
        if cursor < tl.end:
            kind = "customer" if tl.converted_at is not None else "idle"
            tl.segments.append(Segment(cursor, tl.end, 0.0 if kind == "customer" else idle, kind))
        self.plan_outreach(tl, targeted)
        self.lifecycle(tl, subscriber_first)
        return tl

    def maybe_deal(self, tl: Timeline, start: int, end: int, level: float) -> Deal | None:
        """A deal opened during the episode, closed (won/lost at its close date) or still open at as_of."""
        rng = self.rng
        if rng.random() >= p_deal(level):
            return None
        created = start + int((0.15 + 0.5 * rng.random()) * (end - start))
        if created >= tl.end:
            return None
        close = created + days(rng, *SALES_CYCLE_DAYS)
        logged = rng.random() < LOGGED_DEAL_SHARE
        self.next_deal_id += 1
        deal = Deal(self.next_deal_id, created, close, OPEN_STAGES[0], [(OPEN_STAGES[0], created)], level, logged)
        reached = len(OPEN_STAGES)
        if tl.left_at is not None and close > tl.left_at:  # the contact left: the deal dies with it
            deal.close = close = tl.left_at + days(rng, 3, 10)
        if close > self.as_of:  # undecided: the stages reached so far
            reached = 1 + int((self.as_of - created) / (close - created) * (len(OPEN_STAGES) - 1))
            final = None
        elif tl.left_at is None and rng.random() < p_won(level):
            final = "closedwon"
        else:
            final, reached = "closedlost", rng.randint(1, len(OPEN_STAGES))
        step = (min(close, self.as_of) - created) // (reached + 1)
        for i in range(1, reached):
            deal.stages.append((OPEN_STAGES[i], created + i * step + int(rng.random() * step)))
        deal.stage = deal.stages[-1][0]
        if final:
            deal.stages.append((final, close))
            deal.stage = final
        elif rng.random() < 0.2:
            deal.close_set = False
        tl.deals.append(deal)
        self.reach(tl, "salesqualifiedlead", max(tl.created, created - days(rng, 0, 3)))
        self.reach(tl, "opportunity", created)
        if final == "closedwon":
            tl.converted_at = close
            self.reach(tl, "customer", close)
            if rng.random() < EVANGELIST_SHARE:
                self.reach(tl, "evangelist", close + days(rng, 60, 120))
        return deal

    def plan_outreach(self, tl: Timeline, targeted: float) -> None:
        """SDR sequences: cold ones picked by firmographics at any time, follow-ups of MQLs.
        Whether the lead answers depends on its interest at the time, which is its engagement."""
        rng = self.rng
        stop = min(tl.end, tl.converted_at or tl.end)
        starts = []
        if rng.random() < 0.1 + 0.35 * targeted:
            starts.append(tl.created + int(rng.random() * (stop - tl.created)))
        if "marketingqualifiedlead" in tl.stage_dates and rng.random() < 0.6:
            starts.append(tl.stage_dates["marketingqualifiedlead"] + days(rng, 0, 2))
        for start in sorted(starts):
            if start >= stop:
                continue
            connected = rng.random() < 0.08 + 0.8 * tl.level_at(start)
            tl.outreach.append(Outreach(start, connected))
            if connected and rng.random() < 0.35:
                self.reach(tl, "salesqualifiedlead", start + days(rng, 3, 10))

    def reach(self, tl: Timeline, stage: str, when: int) -> None:
        """The first time a stage is reached counts; nothing at or after as_of (or after leaving)."""
        if when < self.as_of and (tl.left_at is None or when < tl.left_at or stage == "customer"):
            if stage not in tl.stage_dates or when < tl.stage_dates[stage]:
                tl.stage_dates[stage] = when

    def lifecycle(self, tl: Timeline, subscriber_first: bool) -> None:
        """Stage at as_of = the furthest reached; dates never run backwards along the stages."""
        first_episode = next((s.start for s in tl.segments if s.kind == "episode"), None)
        if subscriber_first:
            tl.stage_dates["subscriber"] = tl.created
            if first_episode is not None:
                self.reach(tl, "lead", first_episode)
        else:
            tl.stage_dates["lead"] = tl.created
        order = ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer",
                 "evangelist")
        later = self.as_of
        for stage in reversed(order):  # stages only move forward: an earlier stage reached later never was
            if stage in tl.stage_dates:
                if tl.stage_dates[stage] > later:
                    del tl.stage_dates[stage]
                else:
                    later = tl.stage_dates[stage]
        reached = [s for s in order if s in tl.stage_dates]
        tl.stage = reached[-1] if reached else "subscriber"
        if tl.stage in ("subscriber", "lead") and not tl.deals and self.rng.random() < OTHER_SHARE:
            tl.stage = "other"
