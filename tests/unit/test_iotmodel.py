"""The trimmed IoT model bulkjobs ships is botocore's own, for the operations it calls."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import botocore
import pytest
from botocore.exceptions import UnknownServiceError
from botocore.loaders import Loader

from bulkjobs import _client, _iotmodel
from bulkjobs._iotmodel import (
    OPERATIONS,
    ServiceLoader,
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
