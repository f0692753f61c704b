from leadscore.sources.rate_limit import RollingWindowLimiter


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_never_more_than_limit_in_any_window():
    clock = FakeClock()
    limiter = RollingWindowLimiter(100, 10.0, clock=clock, sleep=clock.sleep)
    sent = []
    for _ in range(350):
        limiter.acquire()
        sent.append(clock.now)
        clock.now += 0.01
    for i, t in enumerate(sent):
        in_window = [s for s in sent[i:] if s < t + 10.0 - 1e-6]  # float tolerance at the window edge
        assert len(in_window) <= 100
    # steady state reaches the limit: 350 requests need just over 3 full windows (+ the 50 ms margin)
    assert 30.0 <= sent[-1] < 31.0


def test_penalise_blocks_for_the_given_time():
    clock = FakeClock()
    limiter = RollingWindowLimiter(5, 1.0, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    limiter.penalise(7.0)
    limiter.acquire()
    assert abs(clock.now - 7.0) < 1e-6
