"""The exactly-once claim and the per-recipient send budget, against a real Redis, from several clients."""

from __future__ import annotations

import threading

import redis

from workers.remediation.guard import DONE, DUPLICATE_WINDOW_S, RUNNING, Guard, claim_key


def _guard(url: str) -> Guard:
    return Guard(redis.Redis.from_url(url), hold_s=600)


def test_one_claim_per_report_and_action_until_released(redis_url: str) -> None:
    first, second = _guard(redis_url), _guard(redis_url)  # two processes' worth of connections
    claim = first.claim("r1", "flush")
    assert claim is not None
    assert second.claim("r1", "flush") is None
    assert second.state("r1", "flush") == RUNNING
    assert second.claim("r1", "rerun") is not None  # another action is another claim
    assert second.claim("r2", "flush") is not None  # and so is another report
    second.release(claim)
    assert first.state("r1", "flush") == ""
    assert first.claim("r1", "flush") is not None


def test_finished_claim_stays_a_duplicate_for_the_window(redis_url: str) -> None:
    guard = _guard(redis_url)
    claim = guard.claim("r1", "resend_recovery")
    assert claim is not None
    ttl_running = redis.Redis.from_url(redis_url).ttl(claim_key("r1", "resend_recovery"))
    assert 0 < ttl_running <= 600
    guard.finish(claim)
    assert guard.state("r1", "resend_recovery") == DONE
    assert guard.claim("r1", "resend_recovery") is None
    ttl = redis.Redis.from_url(redis_url).ttl(claim_key("r1", "resend_recovery"))
    assert 0 < ttl <= DUPLICATE_WINDOW_S


def test_only_the_holder_ends_a_claim(redis_url: str) -> None:
    guard = _guard(redis_url)
    stale = guard.claim("r1", "flush")
    assert stale is not None
    guard.release(stale)
    fresh = guard.claim("r1", "flush")
    assert fresh is not None
    guard.finish(stale)  # a late outcome of the old claim must not end the new one
    guard.release(stale)
    assert guard.state("r1", "flush") == RUNNING


def test_concurrent_claims_admit_exactly_one(redis_url: str) -> None:
    won: list[bool] = []
    barrier = threading.Barrier(12)

    def press() -> None:
        guard = _guard(redis_url)
        barrier.wait()
        won.append(guard.claim("race", "flush") is not None)

    threads = [threading.Thread(target=press) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert won.count(True) == 1


def test_conclude_once_admits_one_outcome(redis_url: str) -> None:
    first, second = _guard(redis_url), _guard(redis_url)
    claim = first.claim("r1", "flush")
    assert claim is not None
    assert first.conclude_once(claim) is True
    assert second.conclude_once(claim) is False
    second.unconclude(claim)
    assert second.conclude_once(claim) is True


def test_send_budget_is_shared_and_exact_under_concurrency(redis_url: str) -> None:
    allowed: list[bool] = []
    barrier = threading.Barrier(10)

    def send(action: str) -> None:
        guard = _guard(redis_url)
        claim = guard.claim(f"report-{threading.get_ident()}", action)
        assert claim is not None
        barrier.wait()
        allowed.append(guard.take_send("User@Example.com ", claim, limit=3).allowed)

    actions = ["resend_verification", "resend_recovery"] * 5
    threads = [threading.Thread(target=send, args=(a,)) for a in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 3
    refused = _guard(redis_url).take_send("user@example.com", _claim(redis_url), limit=3)
    assert not refused.allowed and refused.used == 3 and 0 <= refused.oldest_age_s < 60
    # another recipient has its own budget, and the key does not hold the address
    assert _guard(redis_url).take_send("other@example.com", _claim(redis_url), limit=3).allowed
    keys = [k.decode() for k in redis.Redis.from_url(redis_url).scan_iter("mailcheck:guard:sends:*")]
    assert len(keys) == 2 and not any("example.com" in k for k in keys)


def test_zero_limit_refuses_every_send(redis_url: str) -> None:
    assert not _guard(redis_url).take_send("user@example.com", _claim(redis_url), limit=0).allowed


def _claim(url: str):
    claim = _guard(url).claim(f"c-{id(object())}", "resend_recovery")
    assert claim is not None
    return claim
