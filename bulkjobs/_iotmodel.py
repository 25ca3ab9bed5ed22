"""A trimmed copy of botocore's IoT service model: only the operations bulkjobs calls.

botocore reads and parses the whole IoT model (some 270 operations, 1,500 shapes) for
every IoT client, and builds a method for each operation; bulkjobs calls eleven. The
copy in ``_data/`` is botocore's own data for those eleven operations and every shape they
reference, without the documentation, written by ``make iot-model`` from the installed
botocore (``python -m bulkjobs._iotmodel``). It saves a seventh or so of the CPU that
creating an IoT client costs, on every launch.

Sessions made by :func:`aio_session` look there just before botocore's own data: the
operations, shapes, endpoint rules and paginators are the same, and a user's own models
(``~/.aws/models``, ``AWS_DATA_PATH``) still come first. The copy is used only with the
botocore release it was made from (:data:`VERSION_FILE`); any other release loads its
own full model, as it would without bulkjobs.

Their loader (:class:`ServiceLoader`) also finds a service's model without listing
every service botocore knows first. And their endpoint data is a trimmed copy of
botocore's ``endpoints.json`` too (``_data/endpoints.json``): every partition as it is,
the services only those bulkjobs' sessions make clients for (:data:`ENDPOINT_SERVICES`),
18 KB instead of 1.2 MB parsed before the first client. Any other service is
resolved from botocore's full file, loaded then (:class:`TrimmedEndpoints`).
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import botocore
from aiobotocore.session import AioSession
from botocore.exceptions import DataNotFoundError
from botocore.loaders import Loader, instance_cache
from botocore.regions import EndpointResolver

__all__ = [
    "ENDPOINT_SERVICES",
    "OPERATIONS",
    "ServiceLoader",
    "TrimmedEndpoints",
    "aio_session",
    "recorded_release",
    "trimmed",
]

#: Every IoT operation bulkjobs sends (the I/O layer's table must name no other).
OPERATIONS: Final = (
    "CancelJob",
    "CancelJobExecution",
    "DeleteJob",
    "DeleteJobExecution",
    "DescribeJob",
    "DescribeJobExecution",
    "ListJobExecutionsForJob",
    "ListJobExecutionsForThing",
    "ListJobs",
    "ListThingsInThingGroup",
    "SearchIndex",
)
SERVICE: Final = "iot"
DATA_DIR: Final = Path(__file__).resolve().parent / "_data"
#: The botocore release the copy was made from, one line.
VERSION_FILE: Final = DATA_DIR / "botocore-version.txt"
#: The services bulkjobs' sessions (:func:`aio_session`) make clients for: the trimmed
#: endpoint data keeps theirs.
ENDPOINT_SERVICES: Final = ("iot", "organizations", "service-quotas", "sts")
ENDPOINTS_FILE: Final = DATA_DIR / "endpoints.json"


def _shape_names(node: Any) -> Iterator[str]:
    """Every shape a part of the model refers to (``{"shape": name}``, at any depth)."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "shape" and isinstance(value, str):
                yield value
            else:
                yield from _shape_names(value)
    elif isinstance(node, list):
        for value in node:
            yield from _shape_names(value)


def _undocumented(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {k: _undocumented(v) for k, v in node.items() if k != "documentation"}
    if isinstance(node, list):
        return [_undocumented(v) for v in node]
    return node


def trimmed(model: Mapping[str, Any], operations: tuple[str, ...] = OPERATIONS) -> dict[str, Any]:
    """``model`` (a service-2 document) with only ``operations`` and the shapes they
    reach (inputs, outputs, errors and their members), documentation left out."""
    kept_operations = {name: model["operations"][name] for name in operations}
    shapes: dict[str, Any] = {}
    pending = list(_shape_names(kept_operations))
    while pending:
        name = pending.pop()
        if name not in shapes:
            shapes[name] = model["shapes"][name]
            pending.extend(_shape_names(shapes[name]))
    rest = {k: v for k, v in model.items() if k not in ("operations", "shapes", "documentation")}
    document = {**rest, "operations": kept_operations, "shapes": dict(sorted(shapes.items()))}
    result: dict[str, Any] = _undocumented(document)
    return result


def trimmed_endpoints(
    endpoints: Mapping[str, Any], services: tuple[str, ...] = ENDPOINT_SERVICES
) -> dict[str, Any]:
    """``endpoints`` (botocore's endpoints.json) with each partition's services cut
    down to ``services``; everything else as it is."""
    partitions = [
        {
            **partition,
            "services": {
                name: partition["services"][name]
                for name in services
                if name in partition["services"]
            },
        }
        for partition in endpoints["partitions"]
    ]
    return {**endpoints, "partitions": partitions}


class TrimmedEndpoints(EndpointResolver):  # type: ignore[misc]
    """botocore's endpoint resolver over the trimmed data: the same answers for the
    services it keeps; any other service is asked of a resolver over botocore's full
    data, loaded the first time one is. Partitions, regions and DNS suffixes are kept
    whole, so questions about them need no service."""

    def __init__(self, data: Mapping[str, Any], full: Callable[[], EndpointResolver]) -> None:
        super().__init__(data, uses_builtin_data=True)
        self._load_full = full
        self._full: EndpointResolver | None = None

    def _for(self, service_name: str) -> EndpointResolver:
        """The resolver that holds ``service_name``'s data: this one, or the full one."""
        if service_name in ENDPOINT_SERVICES:
            return super()
        if self._full is None:
            self._full = self._load_full()
        return self._full

    def get_service_endpoints_data(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
        return self._for(service_name).get_service_endpoints_data(service_name, *args, **kwargs)

    def get_available_endpoints(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
        return self._for(service_name).get_available_endpoints(service_name, *args, **kwargs)

    def construct_endpoint(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
        return self._for(service_name).construct_endpoint(service_name, *args, **kwargs)


def _builtin_loader() -> Loader:
    return Loader(extra_search_paths=[Loader.BUILTIN_DATA_PATH], include_default_search_paths=False)


def _full_endpoints() -> EndpointResolver:
    return EndpointResolver(_builtin_loader().load_data("endpoints"), uses_builtin_data=True)


def _endpoint_resolver(loader: Loader) -> EndpointResolver:
    """The session's endpoint resolver, as botocore makes it, except that the trimmed
    copy (when it is the file the search path finds) gets :class:`TrimmedEndpoints`."""
    data, path = loader.load_data_with_path("endpoints")
    if os.path.dirname(path) == str(DATA_DIR):
        return TrimmedEndpoints(data, _full_endpoints)
    return EndpointResolver(data, uses_builtin_data=loader.is_builtin_path(path))


@functools.cache
def recorded_release() -> str | None:
    """The botocore release the trimmed data was made from (and checked against); read
    once a process."""
    try:
        return VERSION_FILE.read_text(encoding="utf-8").strip()
    except OSError:
        return None


class ServiceLoader(Loader):  # type: ignore[misc]
    """botocore's loader, except that a service model is found in the service's own
    directories.

    botocore checks that a service exists by listing every service in every search path
    (``list_available_services``: some 440 directories, and a directory listing for each
    of them, about 8 ms) once per model type, so twice per first client. The service's
    own API versions (``list_api_versions``) answer the same question for it: a service
    is listed for a type exactly when one of its version directories holds a file of
    that type. An unknown service still gets botocore's own error, which names the
    known ones.
    """

    @instance_cache  # type: ignore[untyped-decorator]
    def load_service_model(
        self, service_name: str, type_name: str, api_version: str | None = None
    ) -> Any:
        try:
            versions = self.list_api_versions(service_name, type_name)
        except DataNotFoundError:
            return super().load_service_model(service_name, type_name, api_version)
        if api_version is None:
            api_version = max(versions)  # botocore's determine_latest_version
        # From here as botocore's own: the file, then the extras applied to it.
        model = self.load_data(os.path.join(service_name, api_version, type_name))
        extras = self._find_extras(service_name, type_name, api_version)
        self._extras_processor.process(model, extras)
        return model


def aio_session(profile: str | None = None) -> AioSession:
    """A new aiobotocore session whose IoT clients load the trimmed model (when it was
    made from this botocore and no model of the user's own stands in front of it), with
    a :class:`ServiceLoader` over the session's own search paths."""
    session = AioSession(profile=profile)
    paths = list(session.get_component("data_loader").search_paths)
    builtin = Loader.BUILTIN_DATA_PATH
    ours = False
    if recorded_release() == botocore.__version__ and builtin in paths:
        at = paths.index(builtin)
        # The user's own IoT model wins, as it would without us.
        if not any(os.path.isdir(os.path.join(path, SERVICE)) for path in paths[:at]):
            paths.insert(at, str(DATA_DIR))
            ours = True
    loader = ServiceLoader(extra_search_paths=paths, include_default_search_paths=False)
    session.register_component("data_loader", loader)
    if ours:
        # botocore's own factory, which would take the trimmed file for its whole data
        # (and, from outside botocore/data, not as its built-in data), is replaced.
        session._internal_components.lazy_register_component(
            "endpoint_resolver", lambda: _endpoint_resolver(loader)
        )
    return session


def builtin_model() -> tuple[str, dict[str, Any]]:
    """(API version, service-2 file) of IoT as the installed botocore ships it: the
    file itself, before the loader applies its extras (it applies them to the copy too)."""
    loader = _builtin_loader()
    version: str = loader.determine_latest_version(SERVICE, "service-2")
    model: dict[str, Any] = loader.load_data(f"{SERVICE}/{version}/service-2")
    return version, model


def shipped_path(api_version: str) -> Path:
    return DATA_DIR / SERVICE / api_version / "service-2.json"


def render(model: Mapping[str, Any]) -> str:
    """The file's text: one line per member, so regenerating shows a readable diff."""
    return json.dumps(model, indent=1, ensure_ascii=False) + "\n"


def main() -> int:
    """Write ``_data/`` from the installed botocore (``make iot-model``)."""
    version, model = builtin_model()
    for old in DATA_DIR.glob(f"{SERVICE}/*/service-2.json"):
        old.unlink()
        old.parent.rmdir()
    path = shipped_path(version)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(trimmed(model)), encoding="utf-8")
    endpoints = trimmed_endpoints(_builtin_loader().load_data("endpoints"))
    ENDPOINTS_FILE.write_text(render(endpoints), encoding="utf-8")
    VERSION_FILE.write_text(botocore.__version__ + "\n", encoding="utf-8")
    print(
        f"wrote {path}: {len(OPERATIONS)} of {len(model['operations'])} operations, "
        f"{path.stat().st_size:,} bytes, from botocore {botocore.__version__}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
