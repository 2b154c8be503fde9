"""qbd-bridge: the service's overhead per SOAP round trip, and its memory while 100k records stream through it.

    .venv/bin/python bench/bench_qbd_bridge_soap.py [--round-trips 500] [--records 100000] [--page 500] [--json]

The service runs as its own process (``qbd-bridge serve --port 0``, a temporary SQLite file); this
script plays the Web Connector (raw SOAP posts over one kept-alive connection, as QBWC makes them)
and a trivial QuickBooks (an answer made up per request, no company behind it), so the figures are
the bridge's own:

- round trip: one ``sendRequestXML`` + ``receiveResponseXML`` pair with a one-record answer: wall
  time seen by the Web Connector (mean, p50, p95) and the service process's CPU time per pair.
- streaming: a customer query of ``--records`` records answered in pages of ``--page``; the bridge
  continues the iterator itself while a client reads the responses with ``BridgeClient``. The
  server's resident memory is sampled from /proc at each tenth of the records; the peak (VmHWM)
  should stay flat, whatever the number of records.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests
from lxml import etree
from procstats import cpu_seconds, proc_status
from qbd_client import qbxml
from qbd_client.client import BridgeClient
from qbd_client.xml import parse_bytes

NS = "http://developer.intuit.com/"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
BIN = Path(sys.executable).parent / "qbd-bridge"


def envelope(operation: str, **params: str | int) -> bytes:
    root = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    call = etree.SubElement(
        etree.SubElement(root, f"{{{SOAP_ENV}}}Body"), f"{{{NS}}}{operation}", nsmap={None: NS}
    )
    for name, value in params.items():
        etree.SubElement(call, f"{{{NS}}}{name}").text = str(value)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


class WebConnector:
    """The SOAP calls of QBWC, over one kept-alive connection."""

    def __init__(self, url: str) -> None:
        self.url = f"{url}/qbwc"
        self.http = requests.Session()

    def call(self, operation: str, **params: str | int) -> etree._Element:
        answer = self.http.post(
            self.url,
            data=envelope(operation, **params),
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{NS}{operation}"'},
            timeout=60,
        )
        answer.raise_for_status()
        return parse_bytes(answer.content)[0][0][0]

    def authenticate(self, user: str, password: str) -> str:
        ticket, status = (
            c.text or "" for c in self.call("authenticate", strUserName=user, strPassword=password)
        )
        assert status == "", status
        return ticket

    def send(self, ticket: str, hcp: str = "") -> str:
        return (
            self.call(
                "sendRequestXML",
                ticket=ticket,
                strHCPResponse=hcp,
                strCompanyFileName="",
                qbXMLCountry="US",
                qbXMLMajorVers=13,
                qbXMLMinorVers=0,
            ).text
            or ""
        )

    def receive(self, ticket: str, response: str) -> int:
        return int(
            self.call("receiveResponseXML", ticket=ticket, response=response, hresult="", message="").text
            or ""
        )


def host_response(owner_id: str, file_id: str) -> str:
    """A strHCPResponse with what the bridge checks: the versions QuickBooks reads and our FileID."""
    root = etree.Element("QBXML")
    msgs = etree.SubElement(root, "QBXMLMsgsRs")
    host = etree.SubElement(etree.SubElement(msgs, "HostQueryRs", statusCode="0"), "HostRet")
    etree.SubElement(host, "ProductName").text = "QuickBooks Enterprise Solutions 24.0"
    for version in ("12.0", "13.0"):
        etree.SubElement(host, "SupportedQBXMLVersion").text = version
    company = etree.SubElement(etree.SubElement(msgs, "CompanyQueryRs", statusCode="0"), "CompanyRet")
    ext = etree.SubElement(company, "DataExtRet")
    for name, value in (("OwnerID", owner_id), ("DataExtName", "FileID"), ("DataExtValue", file_id)):
        etree.SubElement(ext, name).text = value
    return etree.tostring(root, encoding="unicode")


def customers_answer(request: str, start: int, count: int, total: int) -> str:
    """A CustomerQueryRs of ``count`` made-up customers from ``start``, with the iterator of the request."""
    _, requests_ = qbxml.parse_request(request)
    root = etree.Element("QBXML")
    rs = etree.SubElement(
        etree.SubElement(root, "QBXMLMsgsRs"),
        "CustomerQueryRs",
        requestID=requests_[0].get("requestID", "1"),
        statusCode="0",
        statusSeverity="Info",
        statusMessage="Status OK",
    )
    if requests_[0].get("iterator"):
        rs.set("iteratorRemainingCount", str(total - start - count))
        rs.set("iteratorID", "{2B0D6F4A-33D9-4E7E-9D44-1C1A1B8B6B0E}")
    for n in range(start, start + count):
        ret = etree.SubElement(rs, "CustomerRet")
        for key, value in (
            ("ListID", f"{0x80000000 + n:08X}-1446673838"),
            ("TimeCreated", "2015-11-04T14:39:10-08:00"),
            ("TimeModified", "2015-11-04T14:39:10-08:00"),
            ("EditSequence", "1446673838"),
            ("Name", f"Customer {n:06d}"),
            ("FullName", f"Customer {n:06d}"),
            ("IsActive", "true"),
            ("Balance", "120.00"),
        ):
            etree.SubElement(ret, key).text = value
    return '<?xml version="1.0" ?>\n' + etree.tostring(root, encoding="unicode")


def cli(db: Path, *argv: str) -> str:
    done = subprocess.run([str(BIN), *argv, "--db", str(db)], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--round-trips", type=int, default=500)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=500, help="records per answer while streaming")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    figures: dict[str, Any] = {"round_trips": args.round_trips, "records": args.records, "page": args.page}

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bridge.db"
        qwc = Path(tmp) / "bench.qwc"
        password = cli(db, "company", "add", "bench", "--url", "http://localhost/qbwc", "--qwc-out", str(qwc))
        token = cli(db, "token", "create")
        ids = parse_bytes(qwc.read_bytes())
        hcp = host_response(ids.findtext("OwnerID") or "", ids.findtext("FileID") or "")
        log = (Path(tmp) / "server.log").open("w")
        server = subprocess.Popen(
            [str(BIN), "serve", "--db", str(db), "--port", "0", "--log-level", "warning"],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            assert server.stdout is not None
            url = server.stdout.readline().strip()
            client = BridgeClient(url, token, "bench", timeout=60)
            qbwc = WebConnector(url)
            figures["server_rss_kb_idle"] = proc_status(server.pid)["VmRSS"]

            # -- round trips ----------------------------------------------------------------------
            query = qbxml.message_set([qbxml.build("CustomerQueryRq", {"MaxReturned": 1}, request_id="1")])
            client.submit([query] * (args.round_trips + 1))
            ticket = qbwc.authenticate("bench", password)
            request = qbwc.send(ticket, hcp)  # the first, with the host check, is not counted
            qbwc.receive(ticket, customers_answer(request, 0, 1, 1))
            times = []
            cpu_before = cpu_seconds(server.pid)
            for _ in range(args.round_trips):
                t0 = time.perf_counter()
                request = qbwc.send(ticket)
                t1 = time.perf_counter()
                answer = customers_answer(request, 0, 1, 1)  # QuickBooks' part: not the bridge's time
                t2 = time.perf_counter()
                qbwc.receive(ticket, answer)
                times.append((t1 - t0 + time.perf_counter() - t2) * 1000)
            cpu = cpu_seconds(server.pid) - cpu_before
            qbwc.call("closeConnection", ticket=ticket)
            figures["round_trip_ms_mean"] = round(statistics.fmean(times), 2)
            figures["round_trip_ms_p50"] = round(statistics.median(times), 2)
            figures["round_trip_ms_p95"] = round(sorted(times)[int(len(times) * 0.95) - 1], 2)
            figures["server_cpu_ms_per_round_trip"] = round(cpu * 1000 / args.round_trips, 2)

            # -- streaming ------------------------------------------------------------------------
            paged = qbxml.message_set(
                [qbxml.build("CustomerQueryRq", {"MaxReturned": args.page}, request_id="1", iterator="Start")]
            )
            job = client.submit([paged], label="stream")
            read = {"records": 0, "lines": 0}

            def reader() -> None:
                for line in client.responses(job, wait_for_qbwc=60):
                    read["records"] += len(line.responses[0].rets)
                    read["lines"] += 1

            thread = threading.Thread(target=reader)
            thread.start()
            samples = []
            started = time.perf_counter()
            ticket = qbwc.authenticate("bench", password)
            request = qbwc.send(ticket, hcp)
            sent = 0
            tenth = max(1, args.records // 10)
            while request:
                count = min(args.page, args.records - sent)
                percent = qbwc.receive(ticket, customers_answer(request, sent, count, args.records))
                sent += count
                if sent // tenth != (sent - count) // tenth:
                    samples.append({"records": sent, **proc_status(server.pid)})
                if percent >= 100:
                    break
                request = qbwc.send(ticket)
            qbwc.call("closeConnection", ticket=ticket)
            thread.join(timeout=600)
            elapsed = time.perf_counter() - started
            figures["stream_seconds"] = round(elapsed, 2)
            figures["stream_records_per_second"] = round(read["records"] / elapsed)
            figures["stream_records_read"] = read["records"]
            figures["stream_responses_read"] = read["lines"]
            figures["server_rss_kb_samples"] = [(s["records"], s["VmRSS"]) for s in samples]
            figures["server_vmhwm_kb_peak"] = proc_status(server.pid)["VmHWM"]
            figures["database_mb"] = round(
                sum(p.stat().st_size for p in Path(tmp).glob("bridge.db*")) / 2**20, 1
            )
        except BaseException:
            print((Path(tmp) / "server.log").read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()

    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(
        f"qbd-bridge SOAP benchmark ({args.round_trips} round trips; {args.records} records in pages of {args.page})"
    )
    print(
        f"  round trip (sendRequestXML + receiveResponseXML): mean {figures['round_trip_ms_mean']} ms, "
        f"p50 {figures['round_trip_ms_p50']} ms, p95 {figures['round_trip_ms_p95']} ms; "
        f"server CPU {figures['server_cpu_ms_per_round_trip']} ms per round trip"
    )
    print(
        f"  streaming: {figures['stream_records_read']} records in {figures['stream_responses_read']} responses, "
        f"{figures['stream_seconds']} s ({figures['stream_records_per_second']} records/s); database "
        f"{figures['database_mb']} MB"
    )
    rss = ", ".join(f"{n // 1000}k: {kb / 1024:.0f}" for n, kb in figures["server_rss_kb_samples"])
    print(f"  server RSS (MB) idle {figures['server_rss_kb_idle'] / 1024:.0f}; by records streamed {rss}")
    print(f"  server peak VmHWM {figures['server_vmhwm_kb_peak'] / 1024:.0f} MB")


if __name__ == "__main__":
    main()
