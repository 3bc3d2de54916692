//! The `fieldsync` command as a user runs it: real process, real HTTP to a
//! mock Portal on 127.0.0.1 (port 0), output read as text.

use std::process::{Command, Output};

use sync_server_mock::{ServerConfig, spawn_blocking_server};

fn fieldsync(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fieldsync"))
        .args(args)
        .output()
        .expect("fieldsync runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `fieldsync sync` as the demo technician with `password`.
fn sync_as_tech(server: &str, password: &str, db: &str) -> Output {
    fieldsync(&[
        "sync",
        "--server",
        server,
        "--user",
        "tech",
        "--password",
        password,
        "--db",
        db,
    ])
}

/// A failure is one line on stderr and a non-zero exit, never a panic.
fn assert_one_line_error(o: &Output, contains: &str) {
    assert!(!o.status.success());
    let err = stderr(o);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.starts_with("error: ") && err.contains(contains),
        "{err}"
    );
    assert!(!err.contains("panicked"));
}

#[test]
fn a_page_size_out_of_range_is_one_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tech.db");
    for size in ["0", "1001"] {
        let out = fieldsync(&[
            "sync",
            "--server",
            "http://127.0.0.1:1",
            "--user",
            "tech",
            "--password",
            "tech",
            "--db",
            db.to_str().unwrap(),
            "--page-size",
            size,
        ]);
        assert_one_line_error(&out, "--page-size must be between 1 and 1000");
        assert!(!db.exists(), "no database is created for bad input");
    }
}

#[test]
fn the_demo_tells_the_whole_story() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let out = fieldsync(&["demo", "--db", db.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for expected in [
        "the Portal's screens: http://127.0.0.1:",
        "segment dropdown (en)",
        "Groothandel",
        "Detailhandel",
        "segment editable here: true",
        "segment editable here: false",
        "changing the segment to Wholesale is refused",
        "[manager] changed the segment to Wholesale",
        "segment Wholesale (deleted in the Portal)",
        "[manager] customer segments, highest priority first:",
        "members of cs-vip: Bakkerij Janssens (cust-north-1)",
        "putting Garage Peeters in cs-vip is refused: not permitted for this role",
        "[manager] put Garage Peeters in cs-vip, offline",
        "customer segments of Garage Peeters, the primary (*) first:",
        "demo complete",
    ] {
        assert!(text.contains(expected), "missing '{expected}' in:\n{text}");
    }
    // Not a terminal: plain progress lines, no bar.
    assert!(text.contains("pulled "), "{text}");
    assert!(db.exists(), "the device database is kept where asked");
}

/// `demo --keep-portal` leaves the Portal's screens up until Ctrl-C.
#[test]
fn the_demo_can_keep_the_portal_running_until_ctrl_c() {
    use std::io::{BufRead, BufReader, Read, Write};

    let mut child = Command::new(env!("CARGO_BIN_EXE_fieldsync"))
        .args(["demo", "--keep-portal"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("the demo ended early").unwrap();
        if let Some(rest) = line.strip_prefix("the Portal keeps running at ") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    let address = url
        .trim_start_matches("http://")
        .trim_end_matches("/portal/");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET /portal/ HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut page = String::new();
    stream.read_to_string(&mut page).unwrap();
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("Marketing Segments"), "{page}");
    // Ctrl-C: the demo ends, successfully.
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    assert!(child.wait().unwrap().success());
}

#[test]
fn sync_then_inspect_a_device_database() {
    let server = spawn_blocking_server(ServerConfig::demo()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tech.db");
    let db = db.to_str().unwrap();
    let out = sync_as_tech(&server.url(), "tech", db);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("downloaded"));

    let segments = stdout(&fieldsync(&["segments", "--db", db, "--locale", "nl"]));
    assert!(
        segments.contains("Detailhandel") && segments.contains("Groothandel"),
        "{segments}"
    );
    assert!(segments.contains("2 segment(s)"));
    let customers = stdout(&fieldsync(&[
        "customers",
        "--db",
        db,
        "--search",
        "bakkerij",
    ]));
    assert!(customers.contains("Bakkerij Janssens"), "{customers}");
    let filtered = stdout(&fieldsync(&[
        "customers",
        "--db",
        db,
        "--segment",
        "seg-wholesale",
    ]));
    assert!(!filtered.contains("Bakkerij Janssens"), "{filtered}");
    let status = stdout(&fieldsync(&["status", "--db", db]));
    assert!(
        status.contains("session: user-tech (technician, org-north)"),
        "{status}"
    );
    assert!(status.contains("waiting for upload: 0"));
    assert!(!status.contains("last successful sync: never"));
}

#[test]
fn customer_segments_of_a_device_database() {
    let server = spawn_blocking_server(ServerConfig::demo()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tech.db");
    let db = db.to_str().unwrap();
    assert!(sync_as_tech(&server.url(), "tech", db).status.success());

    let out = fieldsync(&["customer-segments", "--db", db]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list = stdout(&out);
    let lines: Vec<&str> = list.lines().collect();
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("PRIORITY"),
        "{list}"
    );
    let ids: Vec<&str> = lines[1..5]
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "cs-vip",
            "cs-brno-buyers",
            "cs-retail-snapshot",
            "cs-not-vip"
        ],
        "highest priority first:\n{list}"
    );
    assert!(
        lines[1].contains("static") && lines[1].contains(" 50 "),
        "{list}"
    );
    assert!(
        lines[2].contains("flexi") && lines[2].ends_with("city, loyalty"),
        "{list}"
    );
    assert!(lines[3].contains("snapshot"), "{list}");
    assert!(list.contains("4 customer segment(s)"), "{list}");

    let tagged = stdout(&fieldsync(&[
        "customer-segments",
        "--db",
        db,
        "--tag",
        "loyalty",
    ]));
    assert!(tagged.contains("cs-brno-buyers"), "{tagged}");
    assert!(!tagged.contains("cs-vip"), "{tagged}");
    assert!(
        tagged.contains("1 customer segment(s) tagged 'loyalty'"),
        "{tagged}"
    );

    let members = stdout(&fieldsync(&[
        "customer-segments",
        "members",
        "cs-vip",
        "--db",
        db,
    ]));
    assert!(
        members.contains("cust-north-1") && members.contains("Bakkerij Janssens"),
        "{members}"
    );
    assert!(members.contains("1 of 1 member(s) of cs-vip"), "{members}");
    let all = stdout(&fieldsync(&[
        "customer-segments",
        "members",
        "cs-not-vip",
        "--db",
        db,
    ]));
    let page = stdout(&fieldsync(&[
        "customer-segments",
        "members",
        "cs-not-vip",
        "--db",
        db,
        "--limit",
        "1",
        "--offset",
        "1",
    ]));
    assert_eq!(page.lines().next(), all.lines().nth(1), "{all}\n{page}");
    assert!(
        page.contains("1 of 3 member(s) of cs-not-vip, from #2"),
        "{page}"
    );

    let of = stdout(&fieldsync(&[
        "customer-segments",
        "of",
        "cust-north-1",
        "--db",
        db,
    ]));
    assert!(
        of.contains("customer cust-north-1 (Bakkerij Janssens): 3 customer segment(s)"),
        "{of}"
    );
    let marked: Vec<&str> = of.lines().filter(|l| l.starts_with("* cs-")).collect();
    assert_eq!(marked.len(), 1, "{of}");
    assert!(marked[0].starts_with("* cs-vip"), "{of}");
    assert!(of.contains("* primary: VIP (cs-vip)"), "{of}");
    let order: Vec<&str> = of
        .lines()
        .filter_map(|l| l.get(2..)?.split_whitespace().next())
        .filter(|id| id.starts_with("cs-"))
        .collect();
    assert_eq!(
        order,
        ["cs-vip", "cs-brno-buyers", "cs-retail-snapshot"],
        "{of}"
    );

    assert_one_line_error(
        &fieldsync(&["customer-segments", "members", "cs-nowhere", "--db", db]),
        "customer segment cs-nowhere not found",
    );
    assert_one_line_error(
        &fieldsync(&["customer-segments", "of", "c-404", "--db", db]),
        "customer c-404 not found",
    );
    assert_one_line_error(
        &fieldsync(&[
            "customer-segments",
            "members",
            "cs-vip",
            "--db",
            db,
            "--limit",
            "0",
        ]),
        "invalid limit",
    );
    let missing = dir.path().join("missing.db");
    assert_one_line_error(
        &fieldsync(&["customer-segments", "--db", missing.to_str().unwrap()]),
        "no database at",
    );
}

#[test]
fn errors_are_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    let missing = missing.to_str().unwrap();
    assert_one_line_error(&fieldsync(&["segments", "--db", missing]), "no database at");
    assert_one_line_error(
        &fieldsync(&["status", "--db", missing]),
        "run `fieldsync sync` first",
    );

    let server = spawn_blocking_server(ServerConfig::demo()).unwrap();
    let db = dir.path().join("tech.db");
    let db = db.to_str().unwrap();
    let wrong = sync_as_tech(&server.url(), "nope", db);
    assert_one_line_error(&wrong, "refused the credentials");

    let ok = sync_as_tech(&server.url(), "tech", db);
    assert!(ok.status.success());
    assert_one_line_error(
        &fieldsync(&["segments", "--db", db, "--locale", "n!"]),
        "invalid --locale",
    );

    // Nothing listens there: the run gives up after its retries, one line.
    drop(server);
    let offline = sync_as_tech("http://127.0.0.1:9", "tech", db);
    assert_one_line_error(&offline, "network error");
}
