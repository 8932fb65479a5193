//! The script parser: lines → [`Command`]s, following the Go runner's line classification.

use std::sync::LazyLock;

use regex::Regex;
use rill_model::time::parse_duration;

use crate::error::ParseError;
use crate::number::parse_go_number;
use crate::script::{Command, EvalCmd, EvalTime, ExpectedSeries, LoadCmd, LoadSeries, TextMatch};
use crate::series::{parse_labels_prefix, parse_series_desc, unquote_prefix};

fn re(pattern: &str) -> Regex {
    // The patterns below are constants; a failure here is a bug caught by every test.
    Regex::new(pattern).unwrap_or_else(|e| panic!("invalid built-in regex {pattern}: {e}"))
}

static LOAD: LazyLock<Regex> = LazyLock::new(|| re(r"^load(?:_(with_nhcb))?\s+(.+?)$"));
static EVAL_INSTANT: LazyLock<Regex> =
    LazyLock::new(|| re(r"^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$"));
static EVAL_RANGE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$"));
static EXPECT: LazyLock<Regex> =
    LazyLock::new(|| re(r"^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$"));
static EXPECT_RANGE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^expect range vector\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+)$"));

/// A parse failure at a 0-based line index, before the file name is attached.
type LineResult<T> = Result<T, (usize, String)>;

/// Parses a whole script. `file` is only used in error messages.
pub fn parse_script(file: &str, text: &str) -> Result<Vec<Command>, ParseError> {
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| {
            let l = l.trim();
            if l.starts_with('#') { "" } else { l }
        })
        .collect();
    parse_lines(&lines).map_err(|(line, msg)| ParseError {
        file: file.to_string(),
        line: line + 1,
        msg,
    })
}

fn parse_lines(lines: &[&str]) -> LineResult<Vec<Command>> {
    let mut cmds = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        if l.is_empty() {
            i += 1;
            continue;
        }
        let word = l.split([' ', '\t']).next().unwrap_or("").to_ascii_lowercase();
        let (next, cmd) = if word == "clear" {
            (i + 1, Command::Clear)
        } else if word.starts_with("load") {
            let (n, c) = parse_load(lines, i)?;
            (n, Command::Load(c))
        } else if word.starts_with("eval") {
            let (n, c) = parse_eval(lines, i)?;
            (n, Command::Eval(Box::new(c)))
        } else {
            return Err((i, format!("invalid command {l:?}")));
        };
        cmds.push(cmd);
        i = next;
    }
    Ok(cmds)
}

fn duration(s: &str, what: &str) -> Result<i64, String> {
    parse_duration(s).map_err(|e| format!("invalid {what} {s:?}: {e}"))
}

/// The lines of the block after line `i`: up to the first empty line. Returns (index, line).
fn block<'a>(lines: &'a [&'a str], i: usize) -> impl Iterator<Item = (usize, &'a str)> + 'a {
    lines
        .iter()
        .enumerate()
        .skip(i + 1)
        .take_while(|(_, l)| !l.is_empty())
        .map(|(j, l)| (j, *l))
}

fn parse_load(lines: &[&str], i: usize) -> LineResult<(usize, LoadCmd)> {
    let caps = LOAD.captures(lines[i]).ok_or((
        i,
        "invalid load command. (load[_with_nhcb] <step:duration>)".to_string(),
    ))?;
    let with_nhcb = caps.get(1).is_some();
    let step = caps.get(2).map_or("", |m| m.as_str());
    let step_ms = duration(step, "step definition").map_err(|e| (i, e))?;
    let mut cmd = LoadCmd {
        line: i + 1,
        step_ms,
        with_nhcb,
        series: Vec::new(),
    };
    let mut pending_st: Option<(usize, StLine)> = None;
    let mut end = i + 1;
    for (j, l) in block(lines, i) {
        end = j + 1;
        if let Some((metric, offsets)) = st_line(l).map_err(|e| (j, e))? {
            if let Some((line, ..)) = pending_st {
                return Err((line, "@st line has no following sample line".into()));
            }
            pending_st = Some((j, (metric, offsets)));
            continue;
        }
        let (labels, values) = parse_series_desc(l).map_err(|e| (j, e))?;
        let start_offsets = match pending_st.take() {
            Some((line, (metric, offsets))) => {
                if metric != labels {
                    return Err((
                        line,
                        "@st metric does not match the following sample line metric".into(),
                    ));
                }
                if offsets.len() != values.len() {
                    let msg = format!(
                        "@st line has {} values but sample line has {}",
                        offsets.len(),
                        values.len()
                    );
                    return Err((line, msg));
                }
                Some(offsets)
            }
            None => None,
        };
        cmd.series.push(LoadSeries {
            line: j + 1,
            labels,
            values,
            start_offsets,
        });
    }
    if let Some((line, ..)) = pending_st {
        return Err((line, "@st line has no following sample line".into()));
    }
    Ok((end, cmd))
}

/// The series of an `@st` line and its start-timestamp offsets (ms, `None` for `_`).
type StLine = (rill_model::Labels, Vec<Option<i64>>);

/// A `metric{...}@st <offsets>` line, if `l` is one.
fn st_line(l: &str) -> Result<Option<StLine>, String> {
    let Some(space) = l.find([' ', '\t']) else {
        return Ok(None);
    };
    let Some(metric) = l[..space].strip_suffix("@st") else {
        return Ok(None);
    };
    let (labels, rest) = parse_labels_prefix(metric).map_err(|e| format!("invalid @st line metric {metric:?}: {e}"))?;
    if !rest.trim().is_empty() {
        return Err(format!("invalid @st line metric {metric:?}"));
    }
    let mut offsets = Vec::new();
    for item in l[space..].split_whitespace() {
        offsets.extend(st_item(item).map_err(|e| format!("invalid @st sequence: invalid ST item {item:?}: {e}"))?);
    }
    Ok(Some((labels, offsets)))
}

/// A signed duration at the start of `s` (digits and unit letters, stopping at `x`).
fn duration_prefix(s: &str) -> Result<(i64, &str), String> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let end = body
        .find(|c: char| !(c.is_ascii_alphanumeric()) || c == 'x')
        .unwrap_or(body.len());
    let ms = parse_duration(&body[..end]).map_err(|e| e.to_string())?;
    Ok((if neg { -ms } else { ms }, &body[end..]))
}

fn st_item(item: &str) -> Result<Vec<Option<i64>>, String> {
    let count = |s: &str| s.parse::<usize>().map_err(|_| "invalid repeat count".to_string());
    if item == "_" {
        return Ok(vec![None]);
    }
    if let Some(n) = item.strip_prefix("_x") {
        return Ok(vec![None; count(n)?]);
    }
    let (base, rest) = duration_prefix(item)?;
    if rest.is_empty() {
        return Ok(vec![Some(base)]);
    }
    if let Some(n) = rest.strip_prefix('x') {
        return Ok(vec![Some(base); count(n)? + 1]);
    }
    if !rest.starts_with(['+', '-']) {
        return Err(format!("unexpected character {:?} after duration", &rest[..1]));
    }
    let (delta, rest) = duration_prefix(rest)?;
    let n = rest
        .strip_prefix('x')
        .ok_or("expected 'x<count>' after step duration")?;
    Ok((0..=count(n)?).map(|k| Some(base + k as i64 * delta)).collect())
}

fn parse_eval(lines: &[&str], i: usize) -> LineResult<(usize, EvalCmd)> {
    let line = lines[i];
    let err = |m: String| (i, m);
    let (modifier, mut cmd) = if let Some(c) = EVAL_INSTANT.captures(line) {
        let expr = c.get(3).map_or("", |m| m.as_str()).to_string();
        let at = c.get(2).map_or("", |m| m.as_str());
        let t = duration(at, "timestamp definition").map_err(err)?;
        let modifier = c.get(1).map(|m| m.as_str().to_string());
        (modifier, EvalCmd::new(i + 1, expr, EvalTime::Instant(t)))
    } else if let Some(c) = EVAL_RANGE.captures(line) {
        let g = |k: usize| c.get(k).map_or("", |m| m.as_str());
        let (start, end, step) = range_spec(g(2), g(3), g(4)).map_err(err)?;
        let modifier = c.get(1).map(|m| m.as_str().to_string());
        (
            modifier,
            EvalCmd::new(i + 1, g(5).to_string(), EvalTime::Range { start, end, step }),
        )
    } else {
        return Err(err(
            "invalid evaluation command. Must be either 'eval[_fail|_warn|_ordered] instant \
             [at <offset:duration>] <query>' or 'eval[_fail|_warn] range from <from> to <to> step <step> <query>'"
                .into(),
        ));
    };
    match modifier.as_deref() {
        Some("ordered") => cmd.ordered = true,
        Some("fail") => cmd.fail = true,
        Some("warn") => cmd.legacy_warn = true,
        Some("info") => cmd.legacy_info = true,
        _ => {}
    }
    let instant = matches!(cmd.time, EvalTime::Instant(_));
    let mut end = i + 1;
    let mut pos = 0;
    let context = format!("error in eval {} (line {})", cmd.expr, cmd.line);
    for (j, l) in block(lines, i) {
        end = j + 1;
        let err = |m: String| (j, format!("{context}: {m}"));
        if cmd.fail && l.starts_with("expected_fail_message") {
            cmd.fail_match = Some(TextMatch::Exact(l["expected_fail_message".len()..].trim().to_string()));
            break;
        }
        if cmd.fail && l.starts_with("expected_fail_regexp") {
            let pattern = l["expected_fail_regexp".len()..].trim();
            let r = regex::Regex::new(pattern)
                .map_err(|e| err(format!("invalid regexp '{pattern}' for expected_fail_regexp: {e}")))?;
            cmd.fail_match = Some(TextMatch::Regex(r));
            break;
        }
        if l.starts_with("expect range vector") {
            let c = EXPECT_RANGE
                .captures(l)
                .ok_or_else(|| err(format!("invalid range vector definition {l:?}")))?;
            let g = |k: usize| c.get(k).map_or("", |m| m.as_str());
            cmd.range_vector = Some(range_spec(g(1), g(2), g(3)).map_err(err)?);
            continue;
        }
        if l.starts_with("expect string") {
            cmd.expected_string = parse_expect_string(l).map_err(err)?;
            cmd.expects_string = true;
            continue;
        }
        if l.split(' ').next() == Some("expect") {
            parse_expect(&mut cmd, l).map_err(err)?;
            continue;
        }
        if let Some(f) = parse_go_number(l) {
            cmd.expected_scalar = Some(f);
            break;
        }
        let (labels, values) = parse_series_desc(l).map_err(|e| (j, e))?;
        if values.len() > 1 && instant && cmd.range_vector.is_none() {
            return Err(err(
                "expecting multiple values in instant evaluation not allowed. consider using \
                 'expect range vector' directive to enable a range vector result for an instant query"
                    .into(),
            ));
        }
        pos += 1;
        cmd.expected.retain(|e| e.labels != labels);
        cmd.expected.push(ExpectedSeries { pos, labels, values });
    }
    if cmd.expected_scalar.is_some() {
        cmd.expected.clear();
    }
    Ok((end, cmd))
}

fn range_spec(from: &str, to: &str, step: &str) -> Result<(i64, i64, i64), String> {
    let start = duration(from, "start timestamp definition")?;
    let end = duration(to, "end timestamp definition")?;
    if end < start {
        return Err(format!(
            "invalid test definition, end timestamp ({to}) is before start timestamp ({from})"
        ));
    }
    Ok((start, end, duration(step, "step definition")?))
}

fn parse_expect_string(l: &str) -> Result<String, String> {
    let missing = || "expected string literal not valid - a quoted string literal is required".to_string();
    let rest = l.strip_prefix("expect string ").ok_or_else(missing)?;
    if rest.is_empty() {
        return Err(missing());
    }
    match unquote_prefix(rest) {
        Ok((s, "")) => Ok(s),
        _ => Err("expected string literal not valid - check that the string is correctly quoted".into()),
    }
}

fn parse_expect(cmd: &mut EvalCmd, l: &str) -> Result<(), String> {
    let c = EXPECT
        .captures(l)
        .ok_or("invalid expect statement, must match `expect <type> <match_type>: <string>` format".to_string())?;
    let mode = c.get(1).map_or("", |m| m.as_str());
    let text = c.get(3).map_or("", |m| m.as_str()).trim();
    let matcher = match c.get(2).map(|m| m.as_str()) {
        Some("msg") => TextMatch::Exact(text.to_string()),
        Some(_) => TextMatch::Regex(regex::Regex::new(text).map_err(|_| format!("invalid regex {text} for {mode}"))?),
        None => TextMatch::Any,
    };
    match mode {
        "ordered" => cmd.ordered = true,
        "fail" if cmd.fail_match.is_some() => {
            return Err("invalid expect lines, multiple expect fail lines are not allowed".into());
        }
        "fail" => {
            cmd.fail = true;
            cmd.fail_match = Some(matcher);
        }
        "warn" => cmd.warn.push(matcher),
        "info" => cmd.info.push(matcher),
        "no_warn" => cmd.no_warn = true,
        _ => cmd.no_info = true,
    }
    if !cmd.info.is_empty() && cmd.no_info {
        return Err("invalid expect lines, info and no_info cannot be used together".into());
    }
    if !cmd.warn.is_empty() && cmd.no_warn {
        return Err("invalid expect lines, warn and no_warn cannot be used together".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evals(cmds: &[Command]) -> Vec<&EvalCmd> {
        cmds.iter()
            .filter_map(|c| match c {
                Command::Eval(e) => Some(&**e),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn blocks_commands_and_expectations() {
        let text = "# comment\nload 5m\n  m{a=\"b\"} 0+1x2\n  # ends block\n\nclear\n\
            eval instant at 10m sum(m)\n  expect warn msg: PromQL warning: x (1:1)\n  expect no_info\n  {} 3\n\n\
            eval range from 0 to 10m step 5m m\n  m{a=\"b\"} 0 1 _\n\n\
            eval_fail instant at 0 foo\n  expected_fail_message boom\n\n\
            eval instant at 1m m[1m]\n  expect range vector from 0 to 1m step 30s\n  m{a=\"b\"} 1 2 3\n\n\
            eval instant at 0 \"a\"\n  expect string `a`\n\n\
            eval instant at 0 1\n  0x10\n";
        let cmds = parse_script("t.test", text).unwrap();
        assert!(matches!(&cmds[0], Command::Load(l) if l.step_ms == 300_000 && l.series.len() == 1 && l.line == 2));
        assert!(matches!(cmds[1], Command::Clear));
        let e = evals(&cmds);
        assert_eq!(e.len(), 6);
        assert_eq!(
            (e[0].line, e[0].expr.as_str(), e[0].time),
            (7, "sum(m)", EvalTime::Instant(600_000))
        );
        assert_eq!(e[0].warn.len(), 1);
        assert!(e[0].no_info && !e[0].no_warn);
        assert_eq!(e[0].expected.len(), 1);
        assert_eq!(
            e[1].time,
            EvalTime::Range {
                start: 0,
                end: 600_000,
                step: 300_000
            }
        );
        assert_eq!(e[1].expected[0].values.len(), 3);
        assert!(e[2].fail && matches!(&e[2].fail_match, Some(TextMatch::Exact(m)) if m == "boom"));
        assert_eq!(e[3].range_vector, Some((0, 60_000, 30_000)));
        assert_eq!(e[3].instant_time(), Some(60_000));
        assert!(e[4].expects_string && e[4].expected_string == "a");
        assert_eq!(e[5].expected_scalar, Some(16.0));
    }

    #[test]
    fn errors_name_file_and_line() {
        let err = parse_script("f.test", "load 1m\n  m 1\n\nbogus\n").unwrap_err();
        assert_eq!(err.to_string(), "f.test:4: invalid command \"bogus\"");
        let err = parse_script("f.test", "eval instant at 0 m\n  m 1 2\n").unwrap_err();
        assert_eq!(err.line, 2);
        let err = parse_script("f.test", "eval instant at 0 m\n  expect fail\n  expect fail\n").unwrap_err();
        assert!(err.msg.contains("multiple expect fail"));
        let err = parse_script("f.test", "eval instant at 0 m\n  expect warn\n  expect no_warn\n").unwrap_err();
        assert!(err.msg.contains("warn and no_warn"));
        assert!(parse_script("f.test", "load xx\n").is_err());
        assert!(parse_script("f.test", "eval range from 5m to 1m step 1m m\n").is_err());
    }

    #[test]
    fn start_timestamp_lines() {
        let text = "load 1m\n  m@st -1m _ 0+30sx1\n  m 1 2 3 4\n";
        let cmds = parse_script("s.test", text).unwrap();
        let Command::Load(l) = &cmds[0] else {
            panic!("not a load")
        };
        assert_eq!(
            l.series[0].start_offsets,
            Some(vec![Some(-60_000), None, Some(0), Some(30_000)])
        );
        let err = parse_script("s.test", "load 1m\n  m@st -1m\n  m 1 2\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(parse_script("s.test", "load 1m\n  m@st -1m\n").is_err());
    }
}
