"""deploy/kubernetes/values.yaml: every setting names a real trait of the class it configures, with a valid value.

hub.config.<Class>.<trait> is checked against the installed class (KubeSpawner, LTI13Authenticator,
JupyterHub, Authenticator); the chart's own keys (singleuser.*, cull.*) against the KubeSpawner traits
and idle-culler options that Zero to JupyterHub's hub configuration maps them to (the chart itself,
its schema and helm are not available offline: that mapping is written out here).
"""

import subprocess
import sys
from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path

import pytest
import yaml
from traitlets.config import Config

ROOT = Path(__file__).resolve().parents[1]
VALUES = yaml.safe_load((ROOT / "deploy" / "kubernetes" / "values.yaml").read_text())


def _class(path):
    module, _, name = path.replace(":", ".").rpartition(".")
    return getattr(import_module(module), name)


def _require(module, pip_name):
    try:
        return import_module(module)
    except ImportError:
        pytest.fail(f"{pip_name} is missing: `pip install -e '.[hub]'` (make venv)")


def _classes():
    _require("kubespawner", "jupyterhub-kubespawner")
    _require("ltiauthenticator", "jupyterhub-ltiauthenticator")
    from jupyterhub.app import JupyterHub
    from jupyterhub.auth import Authenticator
    from kubespawner import KubeSpawner

    auth = VALUES["hub"]["config"]["JupyterHub"]["authenticator_class"]
    named = {e.name: e.value for e in entry_points(group="jupyterhub.authenticators")}
    auth_cls = _class(named.get(auth, auth))
    return {"JupyterHub": JupyterHub, "Authenticator": Authenticator, "KubeSpawner": KubeSpawner,
            auth_cls.__name__: auth_cls}


def _check(cls, trait_name, value):
    traits = cls.class_traits(config=True)
    assert trait_name in traits, f"{cls.__name__} has no configurable trait {trait_name}"
    obj = cls.__new__(cls)                       # traits set up, no __init__ (no cluster, no LMS needed)
    traits[trait_name]._validate(obj, value)     # raises TraitError for a wrong type or value


def test_the_authenticator_is_lti_1_3_and_every_hub_config_setting_is_a_valid_trait():
    classes = _classes()
    assert classes["LTI13Authenticator"].__module__ == "ltiauthenticator.lti13.auth"
    checked = 0
    for section, settings in VALUES["hub"]["config"].items():
        assert section in classes, f"hub.config.{section}: no class of that name is configured"
        for trait_name, value in settings.items():
            _check(classes[section], trait_name, value)
            checked += 1
    assert checked >= 10          # the file is not empty or mis-nested


def test_roles_name_real_scopes_for_a_group_that_is_loaded():
    from jupyterhub.scopes import scope_definitions

    groups = VALUES["hub"]["config"]["JupyterHub"]["load_groups"]
    for name, role in VALUES["hub"]["loadRoles"].items():
        assert set(role["groups"]) <= set(groups), name
        for scope in role["scopes"]:
            assert scope.split("!")[0] in scope_definitions, scope
    assert "access:servers" in VALUES["hub"]["loadRoles"]["teaching-team"]["scopes"]


def test_extra_config_gives_each_user_their_own_uid():
    from kubespawner import KubeSpawner

    c = Config()
    exec(VALUES["hub"]["extraConfig"]["00-course"], {"c": c})
    for trait_name, value in c.KubeSpawner.items():
        _check(KubeSpawner, trait_name, value)
    fake = type("Spawner", (), {"user": type("User", (), {"id": 7})()})()
    assert c.KubeSpawner.uid(fake) == 10007 and c.KubeSpawner.fs_gid == 100


# Zero to JupyterHub's mapping (its files/hub/jupyterhub_config.py) from chart keys to KubeSpawner traits.
CHART_TO_KUBESPAWNER = {
    ("image",): ("image", lambda v: f"{v['name']}:{v['tag']}"),
    ("defaultUrl",): ("default_url", str),
    ("cpu", "limit"): ("cpu_limit", float), ("cpu", "guarantee"): ("cpu_guarantee", float),
    ("memory", "limit"): ("mem_limit", str), ("memory", "guarantee"): ("mem_guarantee", str),
    ("storage", "capacity"): ("storage_capacity", str),
    ("storage", "extraVolumes"): ("volumes", list), ("storage", "extraVolumeMounts"): ("volume_mounts", list),
    ("extraEnv",): ("environment", dict),
}


def test_per_student_resources_image_and_shared_exchange_map_to_valid_kubespawner_settings():
    from kubespawner import KubeSpawner

    single = VALUES["singleuser"]
    for keys, (trait_name, convert) in CHART_TO_KUBESPAWNER.items():
        value = single
        for k in keys:
            value = value[k]
        _check(KubeSpawner, trait_name, convert(value))
    mounts = {m["name"]: m["mountPath"] for m in single["storage"]["extraVolumeMounts"]}
    volumes = {v["name"]: v for v in single["storage"]["extraVolumes"]}
    assert mounts["nbgrader-exchange"] == single["extraEnv"]["COURSE_EXCHANGE"]
    assert "persistentVolumeClaim" in volumes["nbgrader-exchange"]
    assert single["extraEnv"]["COURSE_ID"] == "stat4710-dl"
    config_dir = single["extraEnv"]["JUPYTER_CONFIG_PATH"]
    assert config_dir.startswith("/srv/course/") and (ROOT / config_dir[len("/srv/course/"):] / "nbgrader_config.py").exists()
    assert single["image"]["name"] and single["memory"]["limit"] and single["cpu"]["limit"]


def test_culling_options_are_the_idle_cullers():
    _require("jupyterhub_idle_culler", "jupyterhub-idle-culler")
    cull = VALUES["cull"]
    assert cull["enabled"] is True and cull["timeout"] > 0
    usage = subprocess.run([sys.executable, "-m", "jupyterhub_idle_culler", "--help"], capture_output=True,
                           text=True, timeout=60)
    text = usage.stdout + usage.stderr
    for chart_key, option in (("timeout", "--timeout"), ("every", "--cull-every"), ("users", "--cull-users"),
                              ("maxAge", "--max-age")):
        assert chart_key in cull and option in text, option
