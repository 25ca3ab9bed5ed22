"""The trimmed IoT model bulkjobs ships is botocore's own, for the operations it calls."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import botocore
import pytest
from aiobotocore.session import AioSession
from botocore.exceptions import UnknownServiceError
from botocore.loaders import Loader

from bulkjobs import _client, _iotmodel
from bulkjobs._iotmodel import (
    OPERATIONS,
    ServiceLoader,
    TrimmedEndpoints,
    aio_session,
    builtin_model,
    shipped_path,
    trimmed,
)


def operation_names(session: object) -> list[str]:
    async def names() -> list[str]:
        async with session.create_client("iot", region_name="us-east-1") as iot:  # type: ignore[attr-defined]
            return list(iot.meta.service_model.operation_names)

    return asyncio.run(names())


def test_the_shipped_model_matches_the_installed_botocore() -> None:
    """Same operations and shapes, byte for byte as `make iot-model` writes them from
    the installed botocore; a botocore upgrade without regenerating fails here."""
    version, model = builtin_model()
    assert _iotmodel.VERSION_FILE.read_text().strip() == botocore.__version__
    shipped = shipped_path(version)
    assert shipped.read_text(encoding="utf-8") == _iotmodel.render(trimmed(model))
    data = json.loads(shipped.read_text(encoding="utf-8"))
    for name in OPERATIONS:
        original = model["operations"][name]
        assert data["operations"][name]["http"] == original["http"]
        assert data["operations"][name].get("input") == original.get("input")
    for name, shape in data["shapes"].items():
        assert shape == _iotmodel._undocumented(model["shapes"][name])


def test_it_has_every_operation_bulkjobs_calls() -> None:
    """The I/O layer's table and the trimmed model name the same operations."""
    assert set(_client._METHOD) == set(OPERATIONS)


def test_trimming_keeps_every_shape_an_operation_reaches() -> None:
    """Inputs, outputs, errors and their members, nested; nothing else."""
    model = {
        "metadata": {"protocol": "rest-json"},
        "documentation": "a service",
        "operations": {
            "A": {"input": {"shape": "AIn"}, "errors": [{"shape": "Boom"}], "documentation": "x"},
            "B": {"input": {"shape": "BIn"}},
        },
        "shapes": {
            "AIn": {"type": "structure", "members": {"l": {"shape": "L"}}},
            "L": {"type": "list", "member": {"shape": "S", "documentation": "y"}},
            "S": {"type": "string"},
            "Boom": {"type": "structure", "members": {}, "exception": True},
            "BIn": {"type": "structure", "members": {}},
        },
    }
    result = trimmed(model, ("A",))
    assert result == {
        "metadata": {"protocol": "rest-json"},
        "operations": {"A": {"input": {"shape": "AIn"}, "errors": [{"shape": "Boom"}]}},
        "shapes": {
            "AIn": {"type": "structure", "members": {"l": {"shape": "L"}}},
            "Boom": {"type": "structure", "members": {}, "exception": True},
            "L": {"type": "list", "member": {"shape": "S"}},
            "S": {"type": "string"},
        },
    }


def test_bulkjobs_sessions_create_iot_clients_from_it() -> None:
    assert operation_names(aio_session()) == sorted(OPERATIONS)


def test_another_botocore_release_loads_its_own_full_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(botocore, "__version__", "0.0.0")
    assert len(operation_names(aio_session())) > len(OPERATIONS)


def test_a_users_own_iot_model_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A model in AWS_DATA_PATH stands in front of botocore's, and so of the copy."""
    version, model = builtin_model()
    own = tmp_path / "iot" / version / "service-2.json"
    own.parent.mkdir(parents=True)
    own.write_text(json.dumps(trimmed(model, ("CancelJob",))))
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    assert operation_names(aio_session()) == ["CancelJob"]


class TestServiceLoader:
    """bulkjobs' sessions find a model as botocore does, without listing every service."""

    @pytest.mark.parametrize(
        ("service", "type_name", "api_version"),
        [
            ("service-quotas", "service-2", None),
            ("sts", "service-2", None),
            ("organizations", "paginators-1", None),
            ("iot", "endpoint-rule-set-1", None),
            ("sts", "service-2", "2011-06-15"),
        ],
    )
    def test_a_model_is_botocores_own(
        self, service: str, type_name: str, api_version: str | None
    ) -> None:
        """The same document, extras applied, as botocore's loader gives."""
        paths = [Loader.BUILTIN_DATA_PATH]
        ours = ServiceLoader(extra_search_paths=paths, include_default_search_paths=False)
        theirs = Loader(extra_search_paths=paths, include_default_search_paths=False)
        expected = theirs.load_service_model(service, type_name, api_version)
        assert ours.load_service_model(service, type_name, api_version) == expected

    def test_an_unknown_service_is_botocores_error(self) -> None:
        with pytest.raises(UnknownServiceError, match=r"Valid service names are: .*iot"):
            aio_session().get_component("data_loader").load_service_model("nope", "service-2")

    def test_creating_clients_lists_no_services(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """IoT and Service Quotas clients, models and rule sets loaded: no listing of the
        data directories (some 440 of them, twice per first client)."""
        listings: list[str] = []
        original = Loader.list_available_services

        def counted(self: Loader, type_name: str) -> object:
            listings.append(type_name)
            return original(self, type_name)

        monkeypatch.setattr(Loader, "list_available_services", counted)

        async def create() -> None:
            session = aio_session()
            async with session.create_client("iot", region_name="us-east-1") as iot:
                iot.get_paginator("list_job_executions_for_job")
            async with session.create_client("service-quotas", region_name="us-east-1") as sq:
                sq.get_paginator("list_service_quotas")

        asyncio.run(create())
        assert listings == []


def answer(method: Callable[..., object], *args: object, **kwargs: object) -> object:
    """What ``method`` returns, or the error it raises (type and message)."""
    try:
        return method(*args, **kwargs)
    except Exception as exc:
        return (type(exc), str(exc))


class TestTrimmedEndpoints:
    """The endpoint data of bulkjobs' sessions: botocore's, for the services they use."""

    def test_the_shipped_endpoints_match_the_installed_botocore(self) -> None:
        full = _iotmodel._builtin_loader().load_data("endpoints")
        shipped = _iotmodel.ENDPOINTS_FILE.read_text(encoding="utf-8")
        assert shipped == _iotmodel.render(_iotmodel.trimmed_endpoints(full))

    def test_every_service_resolves_as_with_the_full_data(self) -> None:
        """Every partition's regions, with and without FIPS and dual-stack, for the kept
        services and for others (answered from the full file)."""
        full = _iotmodel._full_endpoints()
        resolver = aio_session()._get_internal_component("endpoint_resolver")
        assert isinstance(resolver, TrimmedEndpoints) and resolver.uses_builtin_data
        data = _iotmodel._builtin_loader().load_data("endpoints")
        regions = [r for p in data["partitions"] for r in p["regions"]] + ["aws-global"]
        variants = [{}, {"use_fips_endpoint": True}, {"use_dualstack_endpoint": True}]
        for service in (*_iotmodel.ENDPOINT_SERVICES, "s3", "ec2", "lambda"):
            for partition in full.get_available_partitions():
                assert resolver.get_available_endpoints(
                    service, partition
                ) == full.get_available_endpoints(service, partition)
                assert resolver.get_service_endpoints_data(
                    service, partition
                ) == full.get_service_endpoints_data(service, partition)
            for region in regions:
                for variant in variants:
                    expected = answer(full.construct_endpoint, service, region, **variant)
                    assert answer(resolver.construct_endpoint, service, region, **variant) == (
                        expected
                    )

    def test_clients_reach_the_same_endpoints(self) -> None:
        """IoT, STS and Service Quotas clients of a bulkjobs session and of a plain one."""

        async def urls(session: AioSession) -> list[str]:
            found = []
            for service, region in [
                ("iot", "eu-west-1"),
                ("sts", "us-east-1"),
                ("service-quotas", "cn-north-1"),
                ("organizations", "us-east-1"),
            ]:
                async with session.create_client(service, region_name=region) as client:
                    found.append(client.meta.endpoint_url)
            return found

        assert asyncio.run(urls(aio_session())) == asyncio.run(urls(AioSession()))

    def test_a_users_own_endpoints_come_first(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An endpoints.json in AWS_DATA_PATH is the session's data, as without us."""
        (tmp_path / "endpoints.json").write_text(_iotmodel.ENDPOINTS_FILE.read_text())
        monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
        resolver = aio_session()._get_internal_component("endpoint_resolver")
        assert not isinstance(resolver, TrimmedEndpoints)
        assert not resolver.uses_builtin_data
