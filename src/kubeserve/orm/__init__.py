"""Every ORM class, one module per table; importing this registers them all on Base.metadata."""

from kubeserve.orm.api_key import ApiKey
from kubeserve.orm.base import Base
from kubeserve.orm.deployment import Deployment
from kubeserve.orm.model import Model
from kubeserve.orm.release import Release
from kubeserve.orm.user import User
from kubeserve.orm.version import ModelVersion, VersionStatus

__all__ = ["ApiKey", "Base", "Deployment", "Model", "ModelVersion", "Release", "User", "VersionStatus"]
