"""Layered configuration: frozen attrs classes, structured from TOML by cattrs."""

from smdiff.config.resolve import load_config_file, parse_override, resolve_config, to_toml
from smdiff.config.schema import (
    DataConfig,
    DiffusionConfig,
    EvalConfig,
    KernelsConfig,
    ModelConfig,
    SampleConfig,
    SmdiffConfig,
    StorageConfig,
    TrainConfig,
    UserDataset,
)

__all__ = [
    "DataConfig",
    "DiffusionConfig",
    "EvalConfig",
    "KernelsConfig",
    "ModelConfig",
    "SampleConfig",
    "SmdiffConfig",
    "StorageConfig",
    "TrainConfig",
    "UserDataset",
    "load_config_file",
    "parse_override",
    "resolve_config",
    "to_toml",
]
