"""Failures are logged without the patient data their messages may quote."""

import logging

import pytest

from bot.logsafe import log_failure


def test_a_failure_is_logged_by_type_and_place_not_by_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = logging.getLogger("wardboard.test")
    patient = ("张三", "急性阑尾炎")  # as a database driver would quote them
    try:
        raise ValueError(f"INSERT INTO stays (name, diagnosis) VALUES {patient!r}")
    except ValueError:
        log_failure(log, "board refresh failed for ward %s", 7)
    assert "board refresh failed for ward 7: ValueError" in caplog.text
    assert "test_logsafe.py" in caplog.text
    assert "张三" not in caplog.text and "阑尾炎" not in caplog.text
