"""The results of bench/launch.sh: one run's table, the kept runs, the README section.

    python3 report.py check RESULTS README
        Exit 1 with one line if RESULTS (when it exists) or README's generated
        section cannot be rewritten; launch.sh asks this before it measures.
    python3 report.py record TMP RESULTS README [--keep] [--no-record]
        Read one run from TMP (meta.json, NAME.ns timings, NAME.status for a row
        that was not measured), print its section, and unless --no-record store it
        in RESULTS and rewrite README's generated section from RESULTS. Without
        --keep the run replaces every earlier one; with --keep the earlier runs
        that carry a label stay (one with this run's label is replaced in place).

Standard library only: Debian's python3 runs it as it is.
"""
import json
import math
import os
import sys

FORMAT = 1
BEGIN = "<!-- BEGIN bench/launch.sh results"
END = "<!-- END bench/launch.sh results"
BEGIN_LINE = BEGIN + ": written by bench/launch.sh from bench/results.json; do not edit by hand -->"
END_LINE = END + " -->"

# key (the timing file's name), the row's name, what is special about it
ROWS = [
    ("cordon", "cordon (warm)", "in-JVM `runtime.run()`, framework already up"),
    ("cordon-client", "cordon (client)", "`bin/cordon run --network host -- true` through a warm cordond: the C client clones"),
    ("runc", "runc run", "runc's CLI (Go; re-execs itself as `runc init`); a cgroup per launch"),
    ("crun", "crun run", "crun's CLI (C); a cgroup per launch; in a mount ns without the cgroup2 mount"),
    ("bwrap", "bwrap", "no cgroup, no masked paths"),
    ("unshare", "unshare", "no new root: the host's `/` with a fresh `/proc`; no cgroup"),
    ("host", "host true", "no isolation: the timing loop's own floor"),
    ("cordon-cold", "cordon (cold)", "`bin/cordon run --network host -- true`: JVM and framework start"),
]


class Refused(Exception):
    """A one-line reason why the results cannot be read or written."""


def median(v):
    return v[len(v) // 2]  # the element `cordon bench` calls its median


def p90(v):
    return v[max(0, math.ceil(0.9 * len(v)) - 1)]  # nearest rank


# --- the run --------------------------------------------------------------------

def load_run(tmp):
    with open(os.path.join(tmp, "meta.json")) as f:
        run = json.load(f)
    expected = {"cordon-cold": run["method"]["cold_n"]}
    rows = []
    for key, name, note in ROWS:
        row = {"key": key, "tool": name, "note": note, "holds": holds(os.path.join(tmp, key + ".holds"))}
        status_file = os.path.join(tmp, key + ".status")
        if os.path.exists(status_file):
            with open(status_file) as f:
                row["status"] = f.read().strip()
        else:
            path = os.path.join(tmp, key + ".ns")
            times = []
            if os.path.exists(path):
                with open(path) as f:
                    times = sorted(int(line) for line in f if line.strip())
            want = expected.get(key, run["method"]["n"])
            if want == 0:
                row["status"] = "not run: COLD_N=0"
            elif len(times) != want:
                # launch.sh marks every failure; this catches a bug in that bookkeeping.
                row["status"] = "failed: %d timings recorded, expected %d" % (len(times), want)
            else:
                row.update(status="measured", n=len(times), median_ns=median(times), p90_ns=p90(times))
        rows.append(row)
    run["rows"] = rows
    return run


def holds(path):
    """What the check launch's container held: its capability count, no_new_privs, seccomp mode."""
    if not os.path.exists(path):
        return None
    status = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("CapEff", "NoNewPrivs", "Seccomp"):
                status[k] = v.strip()
    if len(status) != 3:
        return None
    parts = ["%d caps" % bin(int(status["CapEff"], 16)).count("1")]
    if status["NoNewPrivs"] == "1":
        parts.append("no_new_privs")
    parts.append({"0": "", "1": "seccomp strict", "2": "seccomp filter"}.get(status["Seccomp"], "seccomp ?"))
    return ", ".join(p for p in parts if p)


def unmeasured(run):
    return [r for r in run["rows"] if r["status"] != "measured" and not r["status"].startswith("not run:")]


# --- rendering --------------------------------------------------------------------

def table(header, body):
    """A Markdown table whose columns line up in a terminal as well."""
    width = [max(len(str(r[i])) for r in [header] + body) for i in range(len(header))]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, width)) + " |"
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in width) + "|"] + [line(r) for r in body])


def count(n, thing):
    return "%d %s" % (n, thing if n == 1 else thing + ("es" if thing.endswith("ch") else "s"))


def ms(ns):
    return "%.2f" % (ns / 1e6)


def ratio(row, base):
    if row.get("status") != "measured" or base is None or base.get("status") != "measured":
        return "n/a"
    return "%.2fx" % (row["median_ns"] / base["median_ns"])


def row_of(run, key):
    return next((r for r in run["rows"] if r["key"] == key), None)


def title(run):
    t = "Run `%s`" % run["label"] if run.get("label") else "Run"
    return "%s: %s, commit `%s` (%s)" % (t, run["date"].replace("T", " ").replace("Z", " UTC"),
                                        run["commit"][:10], tree_state(run))


def tree_state(run):
    dirty = run.get("dirty") or []
    if not dirty:
        return "clean tree"
    shown = ", ".join("`%s`" % p for p in dirty[:3])
    return "dirty tree: %d changed path%s, %s%s" % (len(dirty), "" if len(dirty) == 1 else "s", shown,
                                                      ", ..." if len(dirty) > 3 else "")


def stages_line(run):
    active, inactive = [], []
    for s in run["stages"]:
        if s["availability"].startswith("available"):
            active.append(s["name"])
        else:
            inactive.append("%s (%s)" % (s["name"], s["availability"].replace("unavailable: ", "", 1)))
    line = "cordon stages active: " + (", ".join(active) or "none")
    if inactive:
        line += "; not active: " + "; ".join(inactive)
    return line


def section(run):
    m, mach = run["method"], run["machine"]
    out = ["#### " + title(run), ""]
    out.append("* machine: %s, %s CPUs, %s RAM, kernel %s, %s, %s" % (
        mach["cpu"], mach["cpus"], mach["memory"], mach["kernel"], mach["os"], mach["cgroups"]))
    out.append("* load average: %s at start, %s at end (%s s)" % (run["load_start"], run["load_end"],
                                                                run["duration_s"]))
    out.append("* tools: " + ", ".join("%s %s" % (t, v) for t, v in run["tools"].items()))
    out.append("* %s per tool in %s, %s per tool and round; %s" % (
        count(m["n"], "timed launch"), count(m["rounds"], "round"), count(m["warmup"], "untimed warmup launch"),
        count(m["cold_n"], "cold launch")))
    out.append("* " + stages_line(run))
    if run.get("cordon_round_medians"):
        out.append("* `cordon bench`'s own median per round (ms): " + " ".join(run["cordon_round_medians"]))
    if run.get("warnings"):
        out.extend("* WARNING: " + w for w in run["warnings"])
    out.append("")
    crun, warm = row_of(run, "crun"), row_of(run, "cordon")
    body = []
    for r in run["rows"]:
        if r["status"] == "measured":
            body.append([r["tool"], r["n"], ms(r["median_ns"]), ms(r["p90_ns"]), ratio(r, crun), ratio(r, warm),
                         r.get("holds") or "?", r["note"]])
        else:
            body.append([r["tool"], "-", "-", "-", "-", "-", r.get("holds") or "-", "**" + r["status"] + "**"])
    out.append(table(["tool", "n", "median ms", "p90 ms", "x crun", "x cordon (warm)", "the container holds",
                      "note"], body))
    return "\n".join(out)


def comparison(runs):
    body = []
    for run in runs:
        warm, cold, crun = row_of(run, "cordon"), row_of(run, "cordon-cold"), row_of(run, "crun")
        measured = lambda r, f: f(r) if r and r["status"] == "measured" else "n/a"
        body.append([("`%s`" % run["label"]) if run.get("label") else "(no label)",
                     run["date"].replace("T", " ").replace("Z", ""), "`%s`" % run["commit"][:10]
                     + ("" if not run.get("dirty") else " (dirty)"), run["load_start"].split()[0],
                     measured(warm, lambda r: ms(r["median_ns"])), measured(warm, lambda r: ms(r["p90_ns"])),
                     ratio(warm, crun), measured(cold, lambda r: ms(r["median_ns"]))])
    return "\n".join([
        "#### The default launch across runs",
        "",
        table(["run", "date (UTC)", "commit", "load (1 min) at start", "cordon (warm) median ms", "p90 ms",
               "warm x crun", "cordon (cold) median ms"], body),
        "",
        "`x crun` divides by crun's median in the same run, which takes out much of the machine's "
        "speed and load; compare runs by it, not only by the milliseconds.",
    ])


def generated(runs):
    parts = [BEGIN_LINE, ""]
    if len(runs) > 1:
        parts += [comparison(runs), ""]
    for run in runs:
        parts += [section(run), ""]
    parts.append(END_LINE)
    return "\n".join(parts)


# --- the files --------------------------------------------------------------------

def read_results(path):
    if not os.path.exists(path):
        return []
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise Refused("%s is not readable JSON (%s); restore it with git checkout or remove it" % (path, e))
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("runs"), list):
        raise Refused("%s is not a results file of format %d; restore it with git checkout or remove it"
                      % (path, FORMAT))
    for i, run in enumerate(data["runs"]):
        if not isinstance(run, dict) or not isinstance(run.get("rows"), list) or "date" not in run:
            raise Refused("%s: runs[%d] is not a run; restore the file with git checkout" % (path, i))
    return data["runs"]


def split_readme(path):
    """README's text before the generated section, and after it."""
    try:
        with open(path) as f:
            lines = f.read().split("\n")
    except OSError as e:
        raise Refused("cannot read %s: %s" % (path, e.strerror))
    begins = [i for i, l in enumerate(lines) if l.startswith(BEGIN)]
    ends = [i for i, l in enumerate(lines) if l.startswith(END)]
    if len(begins) != 1 or len(ends) != 1 or begins[0] > ends[0]:
        raise Refused("%s must hold one line starting '%s' and, after it, one starting '%s'; restore them "
                      "with git checkout" % (path, BEGIN, END))
    return "\n".join(lines[: begins[0]]), "\n".join(lines[ends[0] + 1:])


def write(path, text):
    tmp = path + ".new"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def record(run, results, readme, keep):
    runs = read_results(results)
    before, after = split_readme(readme)
    if not keep:
        runs = [run]
    else:
        runs = [r for r in runs if r.get("label")]
        same = [i for i, r in enumerate(runs) if r["label"] == run.get("label")]
        if same:
            runs[same[0]] = run
        else:
            runs.append(run)
    write(results, json.dumps({"format": FORMAT, "runs": runs}, indent=1) + "\n")
    write(readme, before + "\n" + generated(runs) + "\n" + after)


def main(argv):
    if len(argv) == 3 and argv[0] == "check":
        read_results(argv[1])
        split_readme(argv[2])
        return 0
    if len(argv) >= 4 and argv[0] == "record" and set(argv[4:]) <= {"--keep", "--no-record"}:
        run = load_run(argv[1])
        print(section(run))
        if "--no-record" not in argv[4:]:
            record(run, argv[2], argv[3], "--keep" in argv[4:])
            print("\n(recorded in %s and %s)" % (argv[2], argv[3]))
        bad = unmeasured(run)
        if bad:
            raise Refused("%d of %d rows not measured (%s); the table says why" % (
                len(bad), len(run["rows"]), ", ".join("%s %s" % (r["tool"], r["status"].split(":")[0])
                                                      for r in bad)))
        return 0
    raise Refused("usage: report.py check RESULTS README | record TMP RESULTS README [--keep] [--no-record]")


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Refused as e:
        sys.stderr.write("launch.sh: %s\n" % e)
        sys.exit(1)
