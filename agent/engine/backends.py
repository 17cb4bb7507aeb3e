"""Interpreter backends: LiteRT (``ai_edge_litert``) and ``tflite_runtime``.

Both expose the same Python ``Interpreter`` class; they differ in package name, in
version, and in whether the default XNNPACK delegate takes quantized models. The
runtime is imported here, lazily, so each virtualenv works without the other's
package. What actually ran (backend, version, threads, XNNPACK applied or not) is
recorded, because it changes latency by an order of magnitude. The interpreter is built
from the bytes ``modelfile.load_model`` read and checked (``model_content``), so the file
is not opened again.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import time
from dataclasses import dataclass, field
from typing import Any

from edgebench.agent.engine.native_stderr import native_info_to_log
from edgebench.agent.modeltools.modelfile import LoadedModel
from edgebench.shared.errors import EdgebenchError

# backend name -> (interpreter module, distribution name for the version, pip name)
_MODULES = {
    "litert": ("ai_edge_litert.interpreter", "ai-edge-litert", "ai-edge-litert"),
    "tflite_runtime": ("tflite_runtime.interpreter", "tflite-runtime", "tflite-runtime"),
}


@dataclass
class PreparedInterpreter:
    """An allocated interpreter plus the facts of how it was built."""

    interpreter: Any
    backend: str
    backend_version: str
    threads: int
    xnnpack_requested: bool
    xnnpack_applied: bool
    init_ms: float
    input_details: list[dict[str, Any]]
    output_details: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)


def _import_runtime(backend: str) -> tuple[Any, str]:
    """Import the backend's interpreter module; return it and the package version."""
    module_name, dist, pip_name = _MODULES[backend]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise EdgebenchError(
            f"backend {backend!r} needs the Python package {pip_name!r}, which is not"
            f" installed here ({exc}); install it with 'pip install {pip_name}'"
            " or choose the other --backend"
        ) from None
    try:
        version = importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        version = getattr(module, "__version__", "unknown")
    return module, version


def _first_line(exc: BaseException) -> str:
    """Return the first non-empty line of an exception message (they span lines)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def xnnpack_applied(interpreter: Any) -> bool | None:
    """Whether a delegate replaced nodes, or None when the runtime cannot tell.

    A delegate that took over part of the graph appears as an extra node whose op
    name is ``DELEGATE`` (``_get_ops_details`` after ``allocate_tensors``). It is a
    private API, so a runtime without it yields None rather than a guess.
    """
    try:
        ops = interpreter._get_ops_details()
    except Exception:
        return None
    return any(op.get("op_name") == "DELEGATE" for op in ops)


def _build(module: Any, runtime: str, model: LoadedModel, threads: int, resolver_type: Any) -> Any:
    """Construct and allocate the interpreter, turning runtime errors into one line."""
    name = model.path.name
    try:
        interpreter = module.Interpreter(
            model_content=model.data,
            num_threads=threads,
            experimental_op_resolver_type=resolver_type,
        )
    except (ValueError, RuntimeError) as exc:
        raise EdgebenchError(
            f"cannot load {name}: {_first_line(exc)}; is it a valid .tflite model?"
        ) from None
    try:
        interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as exc:
        raise EdgebenchError(
            f"{name} loads but cannot be prepared by {runtime}:"
            f" {_first_line(exc)}; the model needs an op or feature this runtime lacks"
        ) from None
    return interpreter


def prepare_interpreter(
    backend: str, model: LoadedModel, threads: int, xnnpack: bool
) -> PreparedInterpreter:
    """Build and allocate an interpreter for ``model``; time it as benchmark_model's init."""
    module, version = _import_runtime(backend)
    resolver = module.OpResolverType
    resolver_type = resolver.AUTO if xnnpack else resolver.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    # The runtime prints "INFO: Created ... XNNPACK delegate" on fd 2 while preparing.
    with native_info_to_log(backend):
        start = time.perf_counter_ns()
        interpreter = _build(module, f"{backend} {version}", model, threads, resolver_type)
        init_ms = (time.perf_counter_ns() - start) / 1e6
    applied = xnnpack_applied(interpreter)
    warnings = []
    if applied is None:
        warnings.append(
            f"{backend} {version} does not expose the graph's nodes, so whether XNNPACK"
            " was applied is unknown; xnnpack_applied is recorded as false (unverified)"
        )
    elif xnnpack and not applied:
        warnings.append(
            f"XNNPACK was requested but {backend} {version} did not apply it to this model"
            " (reference kernels ran)"
        )
    return PreparedInterpreter(
        interpreter=interpreter,
        backend=backend,
        backend_version=version,
        threads=threads,
        xnnpack_requested=xnnpack,
        xnnpack_applied=bool(applied),
        init_ms=init_ms,
        input_details=interpreter.get_input_details(),
        output_details=interpreter.get_output_details(),
        warnings=warnings,
    )
