"""deploy/k8s and deploy/Dockerfile against the real binary. No cluster runs and no image is
built here: the manifests are parsed (python3-yaml), every flag they pass must be one that
`serve --help` lists, the binary is started with the Deployment's own arguments (on loopback,
port 0) and every probe is asked of it, the grace period must cover the drain, and the objects
must refer to each other by names and labels that exist; the Dockerfile's stages are bookworm, its
user is not root and its runtime packages hold every shared library the binary links."""

import os
import re
import select
import subprocess
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "support"))
import yaml  # noqa: E402
from fleet import grpc_health  # noqa: E402
from prerequisites import require_commands  # noqa: E402
from server_fixture import BINARY, ROOT, parse_ready_line, run_cli  # noqa: E402

K8S = os.path.join(ROOT, "deploy", "k8s")
DOCKERFILE = os.path.join(ROOT, "deploy", "Dockerfile")
UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


def seconds(text):
    match = re.fullmatch(r"([\d.]+)(ms|s|m|h)", text)
    assert match, f"not a duration: {text}"
    return float(match.group(1)) * UNITS[match.group(2)]


def serve_flags():
    code, out, err = run_cli("serve", "--help")
    assert code == 0, err
    return set(re.findall(r"(?<![\w-])(--[a-z0-9][a-z0-9-]*)", out))


def flag_values(args):
    """{"--flag": "value"} of an argument list (every serve flag used here takes a value)."""
    values = {}
    for index, arg in enumerate(args):
        if arg.startswith("--"):
            values[arg] = args[index + 1] if index + 1 < len(args) else None
    return values


class ManifestsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(K8S, "kustomization.yaml")) as file:
            cls.kustomization = yaml.safe_load(file)
        cls.objects = {}
        for resource in cls.kustomization["resources"]:
            with open(os.path.join(K8S, resource)) as file:
                for document in yaml.safe_load_all(file):
                    cls.objects[(document["kind"], document["metadata"]["name"])] = document
        cls.deployment = cls.objects[("Deployment", "predictwire")]
        cls.pod = cls.deployment["spec"]["template"]
        cls.container = cls.pod["spec"]["containers"][0]
        cls.args = cls.container["args"]
        cls.flags = flag_values(cls.args)

    def test_every_flag_exists_in_serve_help(self):
        known = serve_flags()
        self.assertEqual(self.args[0], "serve")
        self.assertEqual(set(self.flags) - known, set())

    def test_the_grace_period_covers_the_drain(self):
        spec = self.pod["spec"]
        pre_stop = self.container.get("lifecycle", {}).get("preStop", {})
        pre_stop_seconds = pre_stop.get("sleep", {}).get("seconds", 0)
        drain = seconds(self.flags["--drain-delay"]) + seconds(self.flags["--drain-timeout"])
        self.assertGreater(seconds(self.flags["--drain-delay"]), 0)
        self.assertGreaterEqual(spec["terminationGracePeriodSeconds"],
                                pre_stop_seconds + drain + 5)

    def test_proxy_timeouts_exceed_twice_the_ping_intervals(self):
        ping = max(seconds(self.flags["--ws-ping-interval"]),
                   seconds(self.flags["--http2-ping-interval"]))
        for kind, name in self.objects:
            if kind == "Ingress":
                annotations = self.objects[(kind, name)]["metadata"]["annotations"]
                for key in ("proxy-read-timeout", "proxy-send-timeout"):
                    value = int(annotations[f"nginx.ingress.kubernetes.io/{key}"])
                    self.assertGreater(value, 2 * ping, f"{name}: {key}")

    def test_objects_refer_to_each_other(self):
        labels = self.pod["metadata"]["labels"]
        self.assertEqual(self.deployment["spec"]["selector"]["matchLabels"].items() - labels.items(),
                         set())
        ports = {port["name"]: port["containerPort"] for port in self.container["ports"]}
        # The ports the flags open are the container's.
        self.assertEqual(int(self.flags["--http"].rsplit(":", 1)[1]), ports["http"])
        self.assertEqual(int(self.flags["--grpc"].rsplit(":", 1)[1]), ports["grpc"])
        service = self.objects[("Service", "predictwire")]
        self.assertEqual(service["spec"]["selector"].items() - labels.items(), set())
        service_ports = {port["name"] for port in service["spec"]["ports"]}
        for port in service["spec"]["ports"]:
            self.assertIn(port["targetPort"], ports)
        for (kind, name), document in self.objects.items():
            if kind == "Ingress":
                for rule in document["spec"]["rules"]:
                    for path in rule["http"]["paths"]:
                        backend = path["backend"]["service"]
                        self.assertEqual(backend["name"], "predictwire")
                        self.assertIn(backend["port"]["name"], service_ports)
        pdb = self.objects[("PodDisruptionBudget", "predictwire")]
        self.assertEqual(pdb["spec"]["selector"]["matchLabels"].items() - labels.items(), set())
        hpa = self.objects[("HorizontalPodAutoscaler", "predictwire")]
        self.assertEqual((hpa["spec"]["scaleTargetRef"]["kind"],
                          hpa["spec"]["scaleTargetRef"]["name"]), ("Deployment", "predictwire"))
        self.assertGreaterEqual(hpa["spec"]["minReplicas"], 2)  # a drain leaves one serving
        self.assertEqual(self.deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"], 0)
        # Not root, and the image's user.
        context = self.pod["spec"]["securityContext"]
        self.assertTrue(context["runAsNonRoot"])
        self.assertNotEqual(context["runAsUser"], 0)

    def test_memory_limit_holds_the_budget(self):
        resources = self.container["resources"]
        mebibytes = {"Mi": 2**20, "Gi": 2**30}

        def size(text):
            return int(text[:-2]) * mebibytes[text[-2:]]
        self.assertGreater(size(resources["limits"]["memory"]),
                           int(self.flags["--max-memory"]) + size(resources["requests"]["memory"]))

    def test_every_probe_is_answered_by_the_binary_started_with_these_arguments(self):
        # The Deployment's arguments, on loopback port 0 and with the repository's models.
        args = list(self.args[1:])
        for flag, value in (("--http", "127.0.0.1:0"), ("--grpc", "127.0.0.1:0"),
                            ("--models-dir", os.path.join(ROOT, "models"))):
            args[args.index(flag) + 1] = value
        server = subprocess.Popen([BINARY, "serve", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        try:
            ready, _, _ = select.select([server.stdout], [], [], 30)
            addresses = parse_ready_line(server.stdout.readline() if ready else "")
            self.assertIsNotNone(addresses, "the server did not start with the Deployment's args")
            port_of = {"http": addresses["http"], 8000: addresses["http"],
                       "grpc": addresses["grpc"], 8001: addresses["grpc"]}
            probes = [(name, self.container[name]) for name in
                      ("startupProbe", "readinessProbe", "livenessProbe") if name in self.container]
            self.assertEqual(len(probes), 3)
            kinds = set()
            for name, probe in probes:
                with self.subTest(probe=name):
                    if "httpGet" in probe:
                        kinds.add("http")
                        get = probe["httpGet"]
                        path = get["path"]
                        self.assertIn(path, ("/v2/health/ready", "/v2/health/live"))
                        url = f"http://{port_of[get['port']]}{path}"
                        with urllib.request.urlopen(url, timeout=10) as answer:
                            self.assertEqual(answer.status, 200)
                    else:
                        kinds.add("grpc")
                        self.assertEqual(grpc_health(port_of[probe["grpc"]["port"]],
                                                     probe["grpc"].get("service", "")), "SERVING")
            self.assertEqual(kinds, {"http", "grpc"})
        finally:
            server.terminate()  # not ready, serving on for the drain delay ...
            time.sleep(0.5)
            server.terminate()  # ... cut short by a second signal
            server.communicate(timeout=60)


class DockerfileTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(DOCKERFILE) as file:
            text = file.read()
        cls.lines = [line.strip() for line in re.sub(r"\\\n", " ", text).splitlines()
                     if line.strip() and not line.lstrip().startswith("#")]

    def instructions(self, name):
        return [line[len(name) + 1:] for line in self.lines if line.startswith(name + " ")]

    def test_multi_stage_bookworm_as_a_user_without_privileges(self):
        stages = self.instructions("FROM")
        self.assertGreaterEqual(len(stages), 2)
        for stage in stages:
            self.assertRegex(stage, r"^debian:bookworm(-slim)?\b")
        final = self.lines[max(i for i, line in enumerate(self.lines) if line.startswith("FROM "))
                           :]
        users = [line.split()[1] for line in final if line.startswith("USER ")]
        self.assertTrue(users, "the final stage names no USER")
        self.assertNotIn(users[-1].split(":")[0], ("root", "0"))

    def test_command_flags_exist_and_files_copied_are_in_the_repository(self):
        command = yaml.safe_load(self.instructions("CMD")[-1])  # a JSON array
        self.assertEqual(command[0], "serve")
        self.assertEqual(set(flag_values(command)) - serve_flags(), set())
        for copy in self.instructions("COPY"):
            parts = copy.split()
            if parts[0].startswith("--from="):
                source = parts[1]
                if source.startswith("/src/") and not source.startswith("/src/build/"):
                    self.assertTrue(os.path.exists(os.path.join(ROOT, source[len("/src/"):])),
                                    source)

    def test_runtime_packages_hold_every_shared_library(self):
        require_commands("dpkg", package_hint="dpkg says which package holds a library")
        final = self.lines[max(i for i, line in enumerate(self.lines) if line.startswith("FROM "))
                           :]
        installed = set()
        for line in final:
            if "apt-get install" in line:
                installed |= {w for w in line.split("apt-get install", 1)[1].split("&&")[0].split()
                              if not w.startswith("-")}
        libraries = re.findall(r"=> (/\S+)", subprocess.run(["ldd", BINARY], capture_output=True,
                                                             text=True).stdout)
        needed = set()
        for library in libraries:
            found = subprocess.run(["dpkg", "-S", os.path.realpath(library)], capture_output=True,
                                   text=True)
            if found.returncode != 0:
                found = subprocess.run(["dpkg", "-S", library], capture_output=True, text=True)
            self.assertEqual(found.returncode, 0, library)
            needed.add(found.stdout.split(":")[0])
        # In every Debian image already (Priority: required).
        needed -= {"libc6", "libgcc-s1", "libstdc++6"}
        self.assertEqual(needed - installed, set())


if __name__ == "__main__":
    unittest.main()
