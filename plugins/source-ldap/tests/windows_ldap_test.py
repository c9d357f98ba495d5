"""The ldap source of the Windows build (over wldap32) under wine64, end to
end, against a real slapd on 127.0.0.1 started here the way the Linux
tests' fixture starts one (slapd_server.hpp, test_org.hpp): a temporary
folder, a self-signed certificate for 127.0.0.1, the organisation loaded
with slapadd while stopped, free ports for ldap:// and ldaps://, and a size
limit of 10 entries, smaller than the organisation, as the fixture has.

peoplesync.exe reads it through a pipeline with an ldap source into a
directory sink, with a configuration written as a Windows admin would
(CRLF line ends, backslashes), as tests/windows/windows_test.py does.

    python3 plugins/source-ldap/tests/windows_ldap_test.py --build-dir build-windows [-v]

Needs wine64, slapd, slapadd and openssl (scripts/setup). Wine shows the
Linux file system as drive Z:, so Z:\\tmp\\... is /tmp/...."""

import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tests", "support"))
from wine import run as wine, run_tests, windows_path  # noqa: E402

BUILD = None   # set by main()

SUFFIX = "dc=example,dc=com"
PEOPLE = "ou=people,dc=example,dc=com"
BIND_DN = "cn=peoplesync,ou=services,dc=example,dc=com"
BIND_PASSWORD = "s3cret-Pa55"
PASSWORD_ENV = "PEOPLESYNC_TEST_LDAP_PASSWORD"
PIPELINE = "people-ldap"

# As in slapd_server.hpp: the account flags of Active Directory and 389.
TEST_SCHEMA = """
attributetype ( 1.2.840.113556.1.4.8 NAME 'userAccountControl'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 2.16.840.1.113730.3.1.610 NAME 'nsAccountLock'
  EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.99999.1.1 NAME 'peoplesyncTestAccount' AUXILIARY
  MAY ( userAccountControl $ nsAccountLock ) )
"""


def person(rdn, uid, given, sn, mail, title, departments, manager=""):
    return {"rdn": rdn, "uid": uid, "givenName": given, "sn": sn, "mail": mail, "title": title,
            "departmentNumber": departments, "manager": manager}


ADA_DN = "uid=ada," + PEOPLE
# As in test_org.hpp: Ada runs the company; Jane (whose DN holds an escaped
# comma) reports to her; José reports to Jane, whose DN his entry writes
# differently; Wei reports to José, written in capitals; the sellers report
# to Ada. 17 people: more than the server's size limit of 10.
ORG = [
    person("uid=ada", "ada", "Ada", "Lovelace", "ada@example.com", "Chief Executive Officer", ["Executive"]),
    person("cn=Doe\\, Jane", "jane", "Jane", "Doe", "jane.doe@example.com", "Chief Technology Officer",
           ["Engineering", "Executive"], ADA_DN),
    person("uid=jose", "jose", "José", "Álvarez", "jose.alvarez@example.com", "Platform Lead",
           ["Engineering > Platform"], "CN=Doe\\2C Jane, OU=People,DC=Example,dc=com"),
    person("uid=wei", "wei", "伟", "张", "wei.zhang@example.com", "Engineer",
           ["Engineering > Platform", "Research"], "UID=JOSE,OU=PEOPLE,DC=EXAMPLE,DC=COM"),
    person("uid=bob", "bob", "Bob", "Stone", "bob@example.com", "Engineer", ["Engineering > Platform"],
           "cn=Doe\\, Jane,ou=people,dc=example,dc=com"),
] + [person(f"uid=s{n:02}", f"s{n:02}", "Seller", f"{n:02}", f"s{n:02}@example.com", "Account Executive",
            ["Sales"], ADA_DN) for n in range(1, 13)]


def ldif_line(name, value):
    """name: value, or name:: base64 when the value is not plain ASCII (RFC 2849)."""
    plain = value and value[0] not in " :<" and value[-1] != " " and all(" " <= c < "\x7f" for c in value)
    if plain:
        return f"{name}: {value}\n"
    return f"{name}:: {base64.b64encode(value.encode()).decode()}\n"


def ldif():
    out = (f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n"
           f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n\n"
           f"dn: ou=services,{SUFFIX}\nobjectClass: organizationalUnit\nou: services\n\n"
           f"dn: {BIND_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
           f"cn: peoplesync\nuserPassword: {BIND_PASSWORD}\n\n")
    for p in ORG:
        out += ldif_line("dn", p["rdn"] + "," + PEOPLE)
        out += "objectClass: inetOrgPerson\n"
        out += ldif_line("cn", p["givenName"] + " " + p["sn"])
        if p["rdn"].startswith("cn="):
            out += "cn: Doe, Jane\n"  # the RDN's value must be among the entry's
        for name in ("sn", "uid", "givenName", "mail", "title"):
            out += ldif_line(name, p[name])
        for d in p["departmentNumber"]:
            out += ldif_line("departmentNumber", d)
        if p["manager"]:
            out += ldif_line("manager", p["manager"])
        out += "\n"
    return out


def program(name):
    path = shutil.which(name)
    if path:
        return path
    for folder in ("/usr/sbin", "/usr/bin", "/sbin", "/bin"):
        if os.path.exists(os.path.join(folder, name)):
            return os.path.join(folder, name)
    return None


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def accepts_connections(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class Slapd:
    """A slapd of its own on free ports of 127.0.0.1, in `folder`."""

    def __init__(self, folder):
        self.dir = folder
        self.slapd = program("slapd")
        slapadd = program("slapadd")
        if not self.slapd or not slapadd or not program("openssl"):
            raise unittest.SkipTest("slapd, slapadd or openssl is not installed; run scripts/setup")
        os.makedirs(os.path.join(folder, "db"))
        with open(os.path.join(folder, "test.schema"), "w") as f:
            f.write(TEST_SCHEMA)
        with open(os.path.join(folder, "org.ldif"), "w", encoding="utf-8") as f:
            f.write(ldif())
        self.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                  "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                  "-keyout", os.path.join(folder, "server.key"), "-out", os.path.join(folder, "ca.pem")])
        d = folder
        with open(os.path.join(folder, "slapd.conf"), "w") as f:
            f.write("include /etc/ldap/schema/core.schema\n"
                    "include /etc/ldap/schema/cosine.schema\n"
                    "include /etc/ldap/schema/inetorgperson.schema\n"
                    f"include {d}/test.schema\n"
                    f"pidfile {d}/slapd.pid\n"
                    f"argsfile {d}/slapd.args\n"
                    "modulepath /usr/lib/ldap\n"
                    "moduleload back_mdb\n"
                    "sizelimit size.soft=10 size.hard=10 size.prtotal=unlimited\n"
                    f"TLSCertificateFile {d}/ca.pem\n"
                    f"TLSCertificateKeyFile {d}/server.key\n"
                    "database mdb\n"
                    "maxsize 1073741824\n"
                    f'suffix "{SUFFIX}"\n'
                    f'rootdn "cn=admin,{SUFFIX}"\n'
                    "rootpw admin-secret\n"
                    f"directory {d}/db\n"
                    "access to attrs=userPassword by anonymous auth by * none\n"
                    "access to * by * read\n")
        self.run([slapadd, "-q", "-f", os.path.join(folder, "slapd.conf"), "-l", os.path.join(folder, "org.ldif")])
        self.start()

    def run(self, command):
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout.decode(errors='replace')}")

    def start(self):
        error = ""
        for _ in range(5):  # a port taken in between makes slapd fail
            self.port, self.tls_port = free_port(), free_port()
            if self.port == self.tls_port:
                continue
            try:
                self.run([self.slapd, "-f", os.path.join(self.dir, "slapd.conf"), "-h",
                          f"{self.uri}/ {self.ldaps_uri}/"])
            except RuntimeError as e:
                error = str(e)
                continue
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if self.pid() and accepts_connections(self.port) and accepts_connections(self.tls_port):
                    return
                time.sleep(0.02)
            error = f"slapd did not answer on 127.0.0.1:{self.port} within 10 s"
            self.stop()
        raise RuntimeError(f"cannot start slapd in {self.dir}: {error}")

    def pid(self):
        try:
            with open(os.path.join(self.dir, "slapd.pid")) as f:
                return int(f.read().strip() or 0)
        except (OSError, ValueError):
            return 0

    def stop(self):
        """Stops the server by its pidfile and waits until it is gone."""
        pid = self.pid()
        if not pid:
            return
        for sig, seconds in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.kill(pid, signal.SIGCONT)
                os.kill(pid, sig)
            except ProcessLookupError:
                break
            if wait_gone(pid, seconds):
                break
        try:
            os.remove(os.path.join(self.dir, "slapd.pid"))
        except OSError:
            pass

    @property
    def uri(self):
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_uri(self):
        return f"ldaps://127.0.0.1:{self.tls_port}"


class HalfAnswer:
    """A server on a free port of 127.0.0.1 that answers the bind, then
    sends the first bytes of a search entry and nothing more, holding the
    connection open: a read that stops half way through a message."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(5)
        self.port = self.listener.getsockname()[1]
        self.connections = []
        self.stopped = threading.Event()
        threading.Thread(target=self.serve, daemon=True).start()

    @staticmethod
    def read_message(connection):
        """The body of one BER-encoded LDAPMessage."""
        head = connection.recv(2)
        if len(head) < 2:
            return None
        length = head[1]
        if length & 0x80:
            length = int.from_bytes(connection.recv(length & 0x7F), "big")
        body = b""
        while len(body) < length:
            chunk = connection.recv(length - len(body))
            if not chunk:
                return None
            body += chunk
        return body

    def serve(self):
        while not self.stopped.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(connection)
            try:
                bind = self.read_message(connection)  # SEQUENCE { INTEGER id (one byte here), BindRequest }
                # BindResponse: success, no matched DN, no diagnostic.
                connection.sendall(bytes([0x30, 0x0C, 0x02, 0x01, bind[2], 0x61, 0x07, 0x0A, 0x01, 0x00, 0x04, 0x00,
                                          0x04, 0x00]))
                search = self.read_message(connection)
                # A SearchResultEntry announced as 200 bytes long, of which 3 come.
                connection.sendall(bytes([0x30, 0x81, 0xC8, 0x02, 0x01, search[2], 0x64, 0x20]))
            except (OSError, TypeError, IndexError):
                pass

    def stop(self):
        self.stopped.set()
        self.listener.close()
        for connection in self.connections:
            connection.close()


def running(pid):
    """True while `pid` names a process that has not exited (a zombie has)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def wait_gone(pid, seconds):
    deadline = time.monotonic() + seconds
    while running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def yaml_scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)  # a YAML double-quoted string


class WindowsLdapTest(unittest.TestCase):
    server = None

    @classmethod
    def setUpClass(cls):
        cls.server_dir = tempfile.mkdtemp(prefix="peoplesync-windows-ldap-slapd-")
        try:
            cls.server = Slapd(cls.server_dir)
        except BaseException:
            shutil.rmtree(cls.server_dir, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.server:
            cls.server.stop()
        shutil.rmtree(cls.server_dir, ignore_errors=True)

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="peoplesync-windows-ldap-")
        os.makedirs(os.path.join(self.dir, "var"))

    def tearDown(self):
        if os.environ.get("PEOPLESYNC_KEEP"):
            print(f"kept {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def config(self, **source):
        """A configuration with one pipeline, an ldap source (the service
        account on the test server, with `source` added or replacing) into a
        directory sink, written with CRLF line ends and backslashes."""
        options = {"uri": self.server.uri, "bind_dn": BIND_DN, "bind_password_env": PASSWORD_ENV,
                   "base_dn": PEOPLE, "page_size": 4}
        options.update(source)
        lines = "".join(f"      {key}: {yaml_scalar(value)}\n" for key, value in options.items() if value is not None)
        text = ("state_database: var\\state.db\n"
                "log:\n  target: console\n  level: information\n"
                "pipelines:\n"
                f"  - name: {PIPELINE}\n"
                "    source:\n"
                "      type: ldap\n" + lines +
                "    sync:\n"
                "      fields: [job_title, departments, manager]\n"
                "    sinks:\n"
                "      - type: directory\n"
                "        database: var\\directory.db\n")
        path = os.path.join(self.dir, "peoplesync.yaml")
        with open(path, "w", newline="\r\n", encoding="utf-8") as f:
            f.write(text)
        return path

    def cli(self, config, *args, password=BIND_PASSWORD, timeout=180):
        env = {PASSWORD_ENV: password} if password is not None else {}
        return wine(os.path.join(BUILD, "bin", "peoplesync.exe"), "--config", windows_path(config), *args,
                    env=env, timeout=timeout)

    def ok(self, config, *args, **kwargs):
        status, output, _ = self.cli(config, *args, **kwargs)
        self.assertEqual(status, 0, output)
        return output

    def failed_run(self, config, **kwargs):
        """The output of `run`, which must fail (non-zero exit status)."""
        status, output, seconds = self.cli(config, "run", PIPELINE, **kwargs)
        self.assertNotEqual(status, 0, output)
        self.assertRegex(output, rf"run \d+ of pipeline {PIPELINE}: failed")
        return output, seconds

    def test_reads_the_organisation_page_by_page_into_the_directory(self):
        # 17 people, 4 a page, from a server that returns at most 10 a search.
        config = self.config(page_size=4)
        output = self.ok(config, "validate")
        self.assertIn("valid, 1 pipeline(s)", output)
        self.assertIn(f"{PIPELINE}: source ldap -> sinks directory", output)
        self.ok(config, "enable", PIPELINE)
        output = self.ok(config, "run", PIPELINE)
        self.assertRegex(output, rf"run 1 of pipeline {PIPELINE}: applied \(live mode, 17 users read\)")
        self.assertRegex(output, r"created\s+17\b")
        self.assertNotIn("findings:", output)  # every manager found, every value text
        self.assertRegex(output, r"managers_changed\s+16\b")  # everybody but Ada
        self.assertRegex(output, r"departments_created\s+5\b")

        # José: non-ASCII names, a department path, and a manager whose DN
        # his entry writes otherwise than hers ("CN=Doe\2C Jane, OU=People,...").
        output = self.ok(config, "directory", "--pipeline", PIPELINE, "show", "jose.alvarez@example.com")
        self.assertRegex(output, r"name\s+José Álvarez")
        self.assertRegex(output, r"departments\s+Engineering > Platform")
        self.assertRegex(output, r"manager\s+jane\b")
        self.assertRegex(output, r"job_title\s+Platform Lead")
        # Wei: two departments, managed by "UID=JOSE,OU=PEOPLE,DC=EXAMPLE,DC=COM".
        output = self.ok(config, "directory", "--pipeline", PIPELINE, "show", "wei.zhang@example.com")
        self.assertRegex(output, r"name\s+伟 张")
        self.assertRegex(output, r"manager\s+jose\b")
        self.assertIn("Research", output)
        # Jane, whose own DN holds an escaped comma, reports to Ada.
        output = self.ok(config, "directory", "--pipeline", PIPELINE, "show", "jane.doe@example.com")
        self.assertRegex(output, r"manager\s+ada\b")

        # Read again: nothing changed.
        output = self.ok(config, "run", PIPELINE)
        self.assertRegex(output, rf"run 2 of pipeline {PIPELINE}: noop")

    def test_without_paging_the_servers_size_limit_stops_the_read(self):
        # What paging is for: the same search unpaged gets 10 entries and the
        # server's sizeLimitExceeded, and nothing is synced.
        output, _ = self.failed_run(self.config(page_size=0))
        self.assertIn(f"{self.server.uri}: the server stopped the search at its size limit after 10 entries "
                      "(sizeLimitExceeded); the read is incomplete and was discarded", output)

    def test_a_wrong_password_names_the_server_and_the_bind_dn(self):
        output, _ = self.failed_run(self.config(), password="not-the-password")
        self.assertIn(f'{self.server.uri}: the server refused the bind as "{BIND_DN}": invalid credentials '
                      f"(Invalid Credentials); check the password in the environment variable {PASSWORD_ENV} "
                      "and that bind_dn exists", output)

    def test_a_missing_password_variable_is_named(self):
        output, _ = self.failed_run(self.config(), password=None)
        self.assertIn(f"the environment variable {PASSWORD_ENV} (bind_password_env) is not set", output)

    def test_a_server_that_is_not_listening(self):
        uri = f"ldap://127.0.0.1:{free_port()}"  # nothing listens there
        output, _ = self.failed_run(self.config(uri=uri))
        self.assertIn(f"{uri}: cannot connect to the server (Server Down", output)
        self.assertIn("check the host and port in uri and that the server is running", output)

    def test_a_filter_the_server_cannot_parse(self):
        output, _ = self.failed_run(self.config(filter="(uid=ada)(cn=x)"))
        self.assertIn(f'{self.server.uri}: filter "(uid=ada)(cn=x)" is not a valid LDAP filter (RFC 4515)', output)

    def test_a_base_dn_that_does_not_exist(self):
        output, _ = self.failed_run(self.config(base_dn="ou=staff,dc=example,dc=com"))
        self.assertIn(f'{self.server.uri}: base_dn "ou=staff,dc=example,dc=com" does not exist (noSuchObject; '
                      'the nearest entry that does is "dc=example,dc=com")', output)

    def test_ldaps_and_start_tls_without_the_certificate_check(self):
        # Under Wine the certificate is never checked (see the next test);
        # verify_certificate: false says so.
        for source in ({"uri": self.server.ldaps_uri, "verify_certificate": False},
                       {"start_tls": True, "verify_certificate": False}):
            with self.subTest(**source):
                output = self.ok(self.config(**source), "run", PIPELINE)
                self.assertRegex(output, rf"run \d+ of pipeline {PIPELINE}: simulated \(test mode, 17 users read\)")

    def test_the_certificate_check_cannot_be_made_under_wine(self):
        for source in ({"uri": self.server.ldaps_uri}, {"start_tls": True, "verify_certificate": True}):
            with self.subTest(**source):
                status, output, _ = self.cli(self.config(**source), "validate")
                self.assertNotEqual(status, 0, output)
                self.assertIn("verify_certificate: true cannot be honoured under Wine: Wine's wldap32 does not "
                              "check the server's certificate", output)

    def test_ca_file_is_refused_on_windows(self):
        shutil.copy(os.path.join(self.server.dir, "ca.pem"), os.path.join(self.dir, "ca.pem"))
        status, output, _ = self.cli(self.config(uri=self.server.ldaps_uri, ca_file="ca.pem",
                                                 verify_certificate=False), "validate")
        self.assertNotEqual(status, 0, output)
        self.assertRegex(output, r"peoplesync\.yaml:\d+:\d+: pipelines\[0\]\.source\.ca_file: ca_file is not "
                                 r"supported on Windows: Windows' LDAP client \(wldap32\) checks the server's "
                                 r"certificate against the Windows certificate store")

    def test_a_tls_handshake_that_never_ends_is_bounded(self):
        # ldaps:// to the plain port: slapd closes the connection on the
        # ClientHello, and Wine's wldap32 loops for ever on it. The run ends
        # after connect_timeout_secs all the same.
        output, seconds = self.failed_run(self.config(uri=f"ldaps://127.0.0.1:{self.server.port}",
                                                      verify_certificate=False, connect_timeout_secs=3))
        self.assertIn(f"ldaps://127.0.0.1:{self.server.port}: no connection within 3 s (connect_timeout_secs, for "
                      "the TCP connection and the TLS handshake)", output)
        self.assertLess(seconds, 60)

    def test_a_message_that_stops_half_way_is_bounded(self):
        # Wine's wldap32 blocks in recv() for the rest of the message, past
        # its own timeout; the worker thread is left behind after
        # timeout_secs and 2 seconds.
        server = HalfAnswer()
        try:
            uri = f"ldap://127.0.0.1:{server.port}"
            output, seconds = self.failed_run(self.config(uri=uri, timeout_secs=3))
        finally:
            server.stop()
        self.assertIn(f"{uri}: no answer from the server within 3 s (timeout_secs) after 0 entries; the read is "
                      "incomplete and was discarded, nothing is synced from it", output)
        self.assertLess(seconds, 60)

    def test_a_server_that_stops_answering(self):
        config = self.config(timeout_secs=3)
        pid = self.server.pid()
        os.kill(pid, signal.SIGSTOP)
        try:
            output, seconds = self.failed_run(config)
        finally:
            os.kill(pid, signal.SIGCONT)
        self.assertIn(f'{self.server.uri}: no answer to the bind as "{BIND_DN}" within 3 s (timeout_secs)', output)
        self.assertLess(seconds, 60)


def main():
    def take(build_dir):
        global BUILD
        BUILD = build_dir
        if not os.path.exists(os.path.join(BUILD, "plugins", "peoplesync-source-ldap.dll")):
            sys.exit(f"{BUILD}/plugins/peoplesync-source-ldap.dll is missing: build the Windows build with "
                     "-DPEOPLESYNC_WINDOWS_LDAP=ON")
    run_tests(take)


if __name__ == "__main__":
    main()
