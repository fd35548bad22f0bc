"""Secrets never reach a log line (observability, issue 2 point 6)."""

import json
import logging

from aws_lambda_powertools import Logger

from crmsync.observability import MASK, RedactingFormatter, redact

REFRESH_TOKEN = "1000.0123456789abcdef0123456789abcdef.fedcba9876543210fedcba9876543210"
API_KEY = "csk_Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5"


def _capture_logger(stream) -> Logger:
    logger = Logger(service="test-redaction", logger_formatter=RedactingFormatter(), stream=stream)
    logger.setLevel(logging.DEBUG)
    return logger


def test_credentials_are_masked_when_logged_as_keys_values_or_text(capsys, tmp_path):
    import io

    stream = io.StringIO()
    logger = _capture_logger(stream)
    logger.info("connecting", extra={"crm": {"refresh_token": REFRESH_TOKEN, "client_id": "abc"}})
    logger.info(f"retrying with {REFRESH_TOKEN}")
    logger.info({"headers": {"Authorization": f"Bearer {API_KEY}"}, "note": "ok"})
    logger.warning("bad key %s", API_KEY)
    logger.append_keys(api_key=API_KEY)
    logger.info("with appended key")

    output = stream.getvalue()
    assert REFRESH_TOKEN not in output
    assert API_KEY not in output
    assert output.count(MASK) >= 5
    first = json.loads(output.splitlines()[0])
    assert first["crm"]["client_id"] == "abc"  # non-secret data survives


def test_redact_keeps_hashes_and_ids_readable():
    assert redact({"token_hash": "abc", "key_id": "k1", "secret_name": "x"}) == {
        "token_hash": "abc",
        "key_id": "k1",
        "secret_name": MASK,
    }
