"""Schemathesis against the service's own OpenAPI schema, over real HTTP with an admin key:
no request it generates for any operation may make the service answer 5xx.

(Schemathesis' pytest plugin does not run under this pytest; the operations are walked here,
each with its Hypothesis strategy.)"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from service_helpers import Service

EXAMPLES_PER_OPERATION = 12


def test_no_generated_request_gets_a_server_error(service: Service) -> None:
    schema = schemathesis.openapi.from_url(f"{service.base}/api/openapi.json")
    schema.config.update(base_url=service.base)
    headers = {"Authorization": f"Bearer {service.keys['admin']}"}
    server_errors: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def call(case: schemathesis.Case) -> None:
            response = case.call(headers=headers, timeout=30)
            if response.status_code >= 500:
                server_errors.append(f"{case.method} {case.formatted_path}: {response.text[:200]}")

        call()
    assert operations > 30
    assert sorted(set(server_errors)) == []
