#!/usr/bin/env python3
"""A Python client (`requests`) exercising every endpoint of the Prometheus HTTP API against a
reference Prometheus (URL_A) and Rill (URL_B) serving the same data.

  client_test.py URL_A URL_B

Each check sends the same request (GET, or POST form) to both servers and compares, by mode:
  exact  status code, then the whole JSON body (vector/matrix results sorted by labels);
  shape  status code, `status`, `errorType`, and the JSON keys (recursively) of the body;
  status status code only;
  b      Rill only, with a check function: endpoints or parameters Prometheus 2.42 lacks
         (Rill follows 3.x) or whose contents legitimately differ (build versions, flags).
Prints one PASS/FAIL line per check and exits 1 if any check failed. The data is the
generated OpenMetrics of tests/common/peers.rs: one hour from 1700000000 at 15 s, jittered.
"""
import json
import sys

import requests

START = 1700000000
T = START + 1800  # whole seconds never hit a jittered sample
R0, R1 = START + 600, START + 1500
TIMEOUT = 30


def sort_results(body):
    """Sorts vector and matrix results by their labels, which the API leaves unordered."""
    data = body.get("data") if isinstance(body, dict) else None
    if isinstance(data, dict) and isinstance(data.get("result"), list) and data.get("resultType") in ("vector", "matrix"):
        data["result"].sort(key=lambda e: json.dumps(e.get("metric"), sort_keys=True))
    if isinstance(data, list) and all(isinstance(e, dict) for e in data):
        data.sort(key=lambda e: json.dumps(e, sort_keys=True))
    return body


def shape(v):
    """The keys of a JSON value, recursively (lists by their first element)."""
    if isinstance(v, dict):
        return {k: shape(x) for k, x in sorted(v.items())}
    if isinstance(v, list):
        return [shape(v[0])] if v else []
    return type(v).__name__


def send(base, method, path, params):
    url = base + path
    if method == "POST":
        return requests.post(url, data=params, timeout=TIMEOUT)
    return requests.get(url, params=params, timeout=TIMEOUT)


def body_of(resp):
    try:
        return resp.json()
    except ValueError:
        return resp.text


def compare(mode, ra, rb):
    """Returns a list of differences between responses ra (reference) and rb (Rill)."""
    problems = []
    if ra.status_code != rb.status_code:
        problems.append("status %d vs %d" % (ra.status_code, rb.status_code))
    a, b = sort_results(body_of(ra)), sort_results(body_of(rb))
    if mode == "exact":
        if a != b:
            problems.append("body\n      prometheus: %s\n      rill:       %s" % (str(a)[:600], str(b)[:600]))
    elif mode == "shape":
        if not isinstance(a, dict) or not isinstance(b, dict):
            problems.append("not JSON: %r / %r" % (str(a)[:200], str(b)[:200]))
        else:
            for key in ("status", "errorType"):
                if a.get(key) != b.get(key):
                    problems.append("%s %r vs %r" % (key, a.get(key), b.get(key)))
            if shape(a) != shape(b):
                problems.append("shape %s vs %s" % (shape(a), shape(b)))
    return problems


# ---------------------------------------------------------------------------------- checks on B
def ok_data(resp):
    body = resp.json()
    assert resp.status_code == 200, (resp.status_code, body)
    assert body["status"] == "success", body
    return body


def check_label_limit(resp):
    body = ok_data(resp)
    assert len(body["data"]) == 1, body
    assert any("results truncated" in w for w in body.get("warnings", [])), body


def check_series_limit(resp):
    body = ok_data(resp)
    assert len(body["data"]) == 2, body
    assert any("results truncated" in w for w in body.get("warnings", [])), body


def check_empty_list(resp):
    assert ok_data(resp)["data"] == [], resp.text


def check_parse_query(resp):
    body = ok_data(resp)
    data = body["data"]
    assert data["type"] == "aggregation" and data["op"] == "sum", data
    assert data["grouping"] == ["job"], data


def check_parse_query_error(resp):
    body = resp.json()
    assert resp.status_code == 400 and body["errorType"] == "bad_data", body


def check_buildinfo(resp):
    data = ok_data(resp)["data"]
    for key in ("version", "revision", "branch", "buildUser", "buildDate", "goVersion"):
        assert isinstance(data.get(key), str), (key, data)


def check_runtimeinfo(resp):
    data = ok_data(resp)["data"]
    for key in ("startTime", "CWD", "reloadConfigSuccess", "lastConfigTime", "goroutineCount", "GOMAXPROCS",
                "storageRetention"):
        assert key in data, (key, data)


def check_flags(resp):
    data = ok_data(resp)["data"]
    assert isinstance(data, dict) and data, data
    assert all(isinstance(v, str) for v in data.values()), data


def check_metrics(resp):
    assert resp.status_code == 200, resp.status_code
    # Prometheus answers text/plain 0.0.4 unless asked for OpenMetrics; Rill always writes
    # OpenMetrics text, which every Prometheus scraper accepts.
    ctype = resp.headers.get("Content-Type", "")
    assert ctype.startswith(("text/plain", "application/openmetrics-text")), resp.headers
    types = [line for line in resp.text.splitlines() if line.startswith("# TYPE ")]
    assert types, resp.text[:500]
    assert "rill_" in resp.text or "prometheus_" in resp.text, resp.text[:500]
    for line in resp.text.splitlines():
        if line and not line.startswith("#"):
            name_labels, _, value = line.rpartition(" ")
            float(value)
            assert name_labels, line


def check_format_query(resp):
    body = ok_data(resp)
    assert body["data"] == "sum by (job) (rate(http_requests_total[5m]))", body


# ---------------------------------------------------------------------------------- the checks
SEL = 'http_requests_total{code="500"}'
CHECKS = [
    # (name, mode or B-check, method, path, params)
    # Instant queries: every result type, GET and POST, times as unix floats and RFC 3339.
    ("query vector", "exact", "GET", "/api/v1/query", {"query": SEL, "time": T}),
    ("query vector POST", "exact", "POST", "/api/v1/query", {"query": "sum by (job) (rate(http_requests_total[5m]))",
                                                           "time": T}),
    ("query scalar", "exact", "GET", "/api/v1/query", {"query": "scalar(sum(temperature_celsius))", "time": T}),
    ("query string", "exact", "GET", "/api/v1/query", {"query": '"hello"', "time": T}),
    ("query matrix", "exact", "GET", "/api/v1/query", {"query": 'temperature_celsius{room="lab"}[1m]', "time": T}),
    ("query rfc3339 time", "exact", "GET", "/api/v1/query", {"query": "build_info", "time": "2023-11-14T22:43:20.5Z"}),
    ("query float time", "exact", "POST", "/api/v1/query", {"query": "temperature_celsius", "time": "%d.25" % T}),
    ("query histogram_quantile", "exact", "GET", "/api/v1/query",
     {"query": "histogram_quantile(0.5, rate(request_seconds_bucket[10m]))", "time": T}),
    ("query empty", "exact", "GET", "/api/v1/query", {"query": "nonexistent", "time": T}),
    ("query parse error", "exact", "GET", "/api/v1/query", {"query": "sum(", "time": T}),
    ("query type error", "exact", "POST", "/api/v1/query", {"query": "rate(temperature_celsius)", "time": T}),
    ("query missing", "shape", "GET", "/api/v1/query", {"time": T}),
    ("query bad time", "exact", "GET", "/api/v1/query", {"query": "up", "time": "yesterday"}),
    ("query bad timeout", "exact", "GET", "/api/v1/query", {"query": "up", "time": T, "timeout": "soon"}),
    ("query execution error", "exact", "GET", "/api/v1/query",
     {"query": 'label_replace(temperature_celsius, "x", "y", "room", "(")', "time": T}),
    # 2.42 lists the duplicate series in input order reversed, 3.x (and Rill) sorted: the
    # text differs, status and errorType must not.
    ("query many-to-many error", "shape", "GET", "/api/v1/query",
     {"query": "http_requests_total + on (job) http_requests_total", "time": T}),
    ("query stats", "shape", "GET", "/api/v1/query", {"query": SEL, "time": T, "stats": "true"}),
    # Range queries.
    ("query_range", "exact", "GET", "/api/v1/query_range",
     {"query": 'rate(http_requests_total{job="web"}[2m])', "start": R0, "end": R1, "step": 60}),
    ("query_range POST duration step", "exact", "POST", "/api/v1/query_range",
     {"query": "avg by (room) (temperature_celsius)", "start": R0, "end": R1, "step": "1m30s"}),
    ("query_range rfc3339", "exact", "GET", "/api/v1/query_range",
     {"query": "sum(http_requests_total)", "start": "2023-11-14T22:23:20Z", "end": "2023-11-14T22:38:20Z",
      "step": "5m"}),
    ("query_range scalar", "exact", "GET", "/api/v1/query_range",
     {"query": "time() - %d" % START, "start": R0, "end": R1, "step": 300}),
    ("query_range end before start", "exact", "GET", "/api/v1/query_range",
     {"query": "up", "start": R1, "end": R0, "step": 60}),
    ("query_range zero step", "exact", "GET", "/api/v1/query_range", {"query": "up", "start": R0, "end": R1,
                                                                      "step": 0}),
    ("query_range too many points", "exact", "GET", "/api/v1/query_range",
     {"query": "up", "start": 0, "end": R1, "step": 1}),
    ("query_range missing step", "exact", "GET", "/api/v1/query_range", {"query": "up", "start": R0, "end": R1}),
    ("query_range string", "exact", "GET", "/api/v1/query_range",
     {"query": '"s"', "start": R0, "end": R1, "step": 60}),
    # Series, labels, label values.
    ("series", "exact", "GET", "/api/v1/series", {"match[]": [SEL, "build_info"], "start": R0, "end": R1}),
    ("series POST", "exact", "POST", "/api/v1/series", {"match[]": '{__name__=~"request_.*", le="+Inf"}',
                                                       "start": R0, "end": R1}),
    ("series no match", "exact", "GET", "/api/v1/series", {"start": R0, "end": R1}),
    ("series bad matcher", "exact", "GET", "/api/v1/series", {"match[]": "{", "start": R0, "end": R1}),
    ("series empty matcher", "exact", "GET", "/api/v1/series", {"match[]": '{job=~".*"}', "start": R0, "end": R1}),
    ("series out of range", "exact", "GET", "/api/v1/series", {"match[]": SEL, "start": 100, "end": 200}),
    ("labels", "exact", "GET", "/api/v1/labels", {"start": R0, "end": R1}),
    ("labels POST match", "exact", "POST", "/api/v1/labels", {"match[]": "temperature_celsius", "start": R0,
                                                             "end": R1}),
    ("labels empty matcher", "exact", "GET", "/api/v1/labels", {"match[]": '{a=""}', "start": R0, "end": R1}),
    ("labels bad matcher", "exact", "GET", "/api/v1/labels", {"match[]": "up{", "start": R0, "end": R1}),
    ("labels bad start", "exact", "GET", "/api/v1/labels", {"start": "x"}),
    ("label values", "exact", "GET", "/api/v1/label/job/values", {"start": R0, "end": R1}),
    ("label values __name__", "exact", "GET", "/api/v1/label/__name__/values", {"start": R0, "end": R1}),
    ("label values match", "exact", "GET", "/api/v1/label/instance/values",
     {"match[]": 'http_requests_total{job="web"}', "start": R0, "end": R1}),
    ("label values unknown", "exact", "GET", "/api/v1/label/nope/values", {"start": R0, "end": R1}),
    # 2.42 rejects "1bad" (legacy names); 3.x accepts any UTF-8 name: Rill alone.
    ("label values utf-8 name", check_empty_list, "GET", "/api/v1/label/1bad/values", {}),
    ("label values escaped name", check_empty_list, "GET", "/api/v1/label/U__a_2e_b/values", {}),
    # `limit` is 3.x only (2.42 ignores it): checked on Rill alone.
    ("label values limit", check_label_limit, "GET", "/api/v1/label/job/values",
     {"start": R0, "end": R1, "limit": 1}),
    ("labels limit", check_label_limit, "GET", "/api/v1/labels", {"start": R0, "end": R1, "limit": 1}),
    ("series limit", check_series_limit, "GET", "/api/v1/series",
     {"match[]": "http_requests_total", "start": R0, "end": R1, "limit": 2}),
    # Metadata (none: no scrapes), exemplars (none stored).
    ("metadata", "exact", "GET", "/api/v1/metadata", {}),
    ("metadata metric limit", "exact", "GET", "/api/v1/metadata", {"metric": "up", "limit": 1}),
    ("query_exemplars", "exact", "GET", "/api/v1/query_exemplars", {"query": SEL, "start": R0, "end": R1}),
    ("query_exemplars POST", "exact", "POST", "/api/v1/query_exemplars",
     {"query": "temperature_celsius", "start": R0, "end": R1}),
    ("query_exemplars bad query", "exact", "GET", "/api/v1/query_exemplars", {"query": "sum(", "start": R0,
                                                                              "end": R1}),
    # format_query / parse_query.
    ("format_query", "exact", "GET", "/api/v1/format_query",
     {"query": "sum(rate(http_requests_total[5m]))by(job)"}),
    ("format_query POST", check_format_query, "POST", "/api/v1/format_query",
     {"query": "sum  by(job)(rate(http_requests_total[300s]))"}),
    # Long queries are pretty-printed over lines. Selectors keep to one matcher here: 2.42 prints
    # several sorted and joined by "," where Rill keeps their order, joined by ", ".
    ("format_query long", "exact", "GET", "/api/v1/format_query",
     {"query": 'sum by (job, instance) (rate(http_requests_total{code=~"5.."}[5m])) / ignoring (code) '
               'sum by (job, instance) (rate(http_requests_total{job="api"}[5m])) > 0.01'}),
    ("format_query nested", "exact", "POST", "/api/v1/format_query",
     {"query": 'histogram_quantile(0.99, sum by (le) (rate(request_seconds_bucket{job="api"}[5m]))) > '
               'on () group_left () -(max_over_time(deriv(temperature_celsius{room="lab"}[10m])[1h:1m] '
               'offset 5m) * 1000)'}),
    ("format_query calls", "exact", "GET", "/api/v1/format_query",
     {"query": 'label_replace(label_join(topk(3, avg_over_time(temperature_celsius[30m])), "both", "-", '
               '"room", "job"), "short", "$1", "room", "(.).*")'}),
    ("format_query parens", "exact", "GET", "/api/v1/format_query",
     {"query": '((count by (job) (changes(http_requests_total{job="web"}[10m]) > 4) / count by (job) '
               '(up{job="web"})) >= bool 0.5) or vector(0)'}),
    ("format_query error", "exact", "GET", "/api/v1/format_query", {"query": "foo{"}),
    # parse_query is newer than 2.42: Rill alone.
    ("parse_query", check_parse_query, "GET", "/api/v1/parse_query", {"query": "sum by (job) (up)"}),
    ("parse_query error", check_parse_query_error, "POST", "/api/v1/parse_query", {"query": "sum("}),
    # Status: versions, runtime and flags are the server's own.
    ("buildinfo", check_buildinfo, "GET", "/api/v1/status/buildinfo", {}),
    ("runtimeinfo", check_runtimeinfo, "GET", "/api/v1/status/runtimeinfo", {}),
    ("flags", check_flags, "GET", "/api/v1/status/flags", {}),
    ("buildinfo shape", "shape", "GET", "/api/v1/status/buildinfo", {}),
    # Probes and self-metrics.
    ("healthy", "exact", "GET", "/-/healthy", {}),
    ("ready", "exact", "GET", "/-/ready", {}),
    ("metrics", check_metrics, "GET", "/metrics", {}),
    ("unknown endpoint", "status", "GET", "/api/v1/nope", {}),
]


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    url_a, url_b = sys.argv[1].rstrip("/"), sys.argv[2].rstrip("/")
    failed = 0
    for name, mode, method, path, params in CHECKS:
        rb = send(url_b, method, path, params)
        if callable(mode):
            try:
                mode(rb)
                problems = []
            except (AssertionError, KeyError, TypeError, ValueError) as e:
                problems = ["rill: %r" % (e,)]
        else:
            problems = compare(mode, send(url_a, method, path, params), rb)
        if problems:
            failed += 1
            print("FAIL %s (%s %s)" % (name, method, path))
            for p in problems:
                print("    " + p)
        else:
            print("PASS %s" % name)
    print("%d checks, %d failed" % (len(CHECKS), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
