//! Enhanced JQL search, the removed search, and the JQL subset.

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;

use crate::support::{Api, config, start};

const SEARCH: &str = "/rest/api/3/search/jql";

fn ts(v: &Value) -> OffsetDateTime {
    let f = time::format_description::parse_borrowed::<2>("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3][offset_hour sign:mandatory][offset_minute]").unwrap();
    OffsetDateTime::parse(v.as_str().unwrap(), &f).unwrap()
}

#[tokio::test]
async fn removed_search_is_410_with_atlassians_message() {
    let sim = start(config(10)).await;
    let api = Api::new(sim.base_url());
    for path in ["/rest/api/3/search", "/rest/api/2/search"] {
        let r = api.get(path, &[("jql", "project = ENG")]).await;
        assert_eq!(r.status, 410);
        let msg = r.body["errorMessages"][0].as_str().unwrap();
        assert!(msg.starts_with("The requested API has been removed. Please migrate to the /rest/api/3/search/jql API."), "{msg}");
    }
    assert_eq!(
        api.post("/rest/api/3/search", &json!({"jql": "project = ENG"}))
            .await
            .status,
        410
    );
}

#[tokio::test]
async fn start_at_unbounded_and_bad_jql_are_400() {
    let sim = start(config(10)).await;
    let api = Api::new(sim.base_url());
    let r = api
        .get(SEARCH, &[("jql", "project = ENG"), ("startAt", "0")])
        .await;
    assert_eq!(r.status, 400);
    let r = api
        .post(SEARCH, &json!({"jql": "project = ENG", "startAt": 0}))
        .await;
    assert_eq!(r.status, 400);
    for jql in ["", "ORDER BY updated DESC"] {
        let r = api.post(SEARCH, &json!({"jql": jql})).await;
        assert_eq!(r.status, 400, "{jql:?}");
        assert_eq!(
            r.body["errorMessages"][0],
            "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
        );
        assert!(r.body["errors"].is_object());
    }
    let r = api.get(SEARCH, &[("jql", "project = NOPE")]).await;
    assert_eq!(r.status, 400);
    assert!(
        r.body["errorMessages"][0]
            .as_str()
            .unwrap()
            .contains("NOPE")
    );
    assert_eq!(
        api.post("/rest/api/3/search/approximate-count", &json!({"jql": ""}))
            .await
            .status,
        400
    );
    let r = api
        .post(
            SEARCH,
            &json!({"jql": "project = ENG", "nextPageToken": "garbage"}),
        )
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn default_fields_are_id_only_and_pages_follow_tokens() {
    let sim = start(config(600)).await;
    let api = Api::new(sim.base_url());
    let r = api.get(SEARCH, &[("jql", "project = ENG")]).await;
    assert_eq!(r.status, 200);
    let first = &r.body["issues"][0];
    assert_eq!(
        first.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["id"]
    );
    assert!(r.body.get("total").is_none());

    let jql = "project in (ENG, OPS, SUP) ORDER BY key ASC";
    // Full fields: the server caps pages at 100 whatever is asked.
    let (all, sizes) = api
        .search_all(jql, &["summary", "updated"], Some(1000))
        .await;
    assert_eq!(all.len(), 600);
    assert!(
        sizes.iter().all(|s| *s <= 100) && sizes.len() >= 6,
        "{sizes:?}"
    );
    // id/key only: up to 5000 per page.
    let (ids, sizes) = api.search_all(jql, &["id", "key"], Some(5000)).await;
    assert_eq!(sizes, vec![600]);
    let got: Vec<&str> = ids.iter().map(|i| i["id"].as_str().unwrap()).collect();
    let mut want: Vec<String> = sim.issues_snapshot().into_iter().map(|i| i.id).collect();
    let mut got_sorted: Vec<String> = got.iter().map(|s| (*s).to_owned()).collect();
    got_sorted.sort();
    want.sort();
    assert_eq!(got_sorted, want);
    // Key order is by project then number, numerically.
    let keys: Vec<(String, u32)> = ids
        .iter()
        .map(|i| {
            let (p, n) = i["key"].as_str().unwrap().split_once('-').unwrap();
            (p.to_owned(), n.parse().unwrap())
        })
        .collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]));

    // A token replayed with a different query is rejected.
    let r = api
        .post(
            SEARCH,
            &json!({"jql": jql, "fields": ["summary"], "maxResults": 10}),
        )
        .await;
    let t = r.body["nextPageToken"].as_str().unwrap();
    let r = api
        .post(
            SEARCH,
            &json!({"jql": "project = ENG", "fields": ["summary"], "nextPageToken": t}),
        )
        .await;
    assert_eq!(r.status, 400);
    // Tokens expire after 7 days (on the simulator clock).
    sim.set_now(datetime!(2026-11-29 00:00 UTC));
    let r = api
        .post(
            SEARCH,
            &json!({"jql": jql, "fields": ["summary"], "maxResults": 10}),
        )
        .await;
    let old = r.body["nextPageToken"].as_str().unwrap().to_owned();
    sim.advance(std::time::Duration::from_secs(6 * 86_400));
    assert_eq!(
        api.post(
            SEARCH,
            &json!({"jql": jql, "fields": ["summary"], "nextPageToken": old})
        )
        .await
        .status,
        200
    );
    sim.advance(std::time::Duration::from_secs(2 * 86_400));
    assert_eq!(
        api.post(
            SEARCH,
            &json!({"jql": jql, "fields": ["summary"], "nextPageToken": old})
        )
        .await
        .status,
        400
    );
    sim.use_wall_clock();
    // GET paging works the same way.
    let r = api
        .get(
            SEARCH,
            &[
                ("jql", jql),
                ("fields", "summary"),
                ("maxResults", "5"),
                ("nextPageToken", t),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["issues"][0]["key"], all[10]["key"]);
}

#[tokio::test]
async fn order_by_updated_both_ways_and_epoch_windows() {
    let sim = start(config(400)).await;
    let api = Api::new(sim.base_url());
    let (asc, _) = api
        .search_all(
            "project = ENG ORDER BY updated ASC, key ASC",
            &["updated"],
            Some(100),
        )
        .await;
    let times: Vec<OffsetDateTime> = asc.iter().map(|i| ts(&i["fields"]["updated"])).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    let (desc, _) = api
        .search_all(
            "project = ENG ORDER BY updated DESC, key DESC",
            &["updated"],
            Some(100),
        )
        .await;
    let mut rev = desc.clone();
    rev.reverse();
    assert_eq!(rev, asc);

    // An epoch-millisecond window selects exactly the snapshot's issues in it.
    let lo = datetime!(2026-11-01 00:00 UTC);
    let hi = datetime!(2026-11-20 00:00 UTC);
    let ms = |t: OffsetDateTime| (t.unix_timestamp_nanos() / 1_000_000).to_string();
    let jql = format!(
        "(project = ENG OR project = OPS) AND updated >= {} AND updated <= {} ORDER BY updated ASC, key ASC",
        ms(lo),
        ms(hi)
    );
    let (hits, _) = api.search_all(&jql, &["key"], None).await;
    let want: Vec<String> = sim
        .issues_snapshot()
        .into_iter()
        .filter(|i| {
            (i.key.starts_with("ENG-") || i.key.starts_with("OPS-"))
                && i.updated >= lo
                && i.updated <= hi
        })
        .map(|i| i.key)
        .collect();
    let mut got: Vec<String> = hits
        .iter()
        .map(|i| i["key"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got.len(), want.len());
    got.sort();
    let mut want = want;
    want.sort();
    assert_eq!(got, want);
    assert!(!got.is_empty());
    let r = api
        .post("/rest/api/3/search/approximate-count", &json!({"jql": jql}))
        .await;
    assert_eq!(r.body["count"], want.len());
}

#[tokio::test]
async fn date_literals_are_read_in_the_users_time_zone_at_minute_granularity() {
    for (zone, offset_h) in [
        ("Pacific/Kiritimati", 14i64),
        ("America/Los_Angeles", -8),
        ("UTC", 0),
    ] {
        let mut cfg = config(5);
        cfg.user_time_zone = zone.into();
        let sim = start(cfg).await;
        let api = Api::new(sim.base_url());
        let me = api.get("/rest/api/3/myself", &[]).await;
        assert_eq!(me.body["timeZone"], zone);
        sim.set_now(datetime!(2026-11-29 01:45:30.500 UTC));
        let key = sim.create_issue("ENG").unwrap();
        // The same instant, written as a local wall-clock minute.
        let local = datetime!(2026-11-29 01:45 UTC)
            .to_offset(time::UtcOffset::from_hms(i8::try_from(offset_h).unwrap(), 0, 0).unwrap());
        let lit = format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            local.year(),
            u8::from(local.month()),
            local.day(),
            local.hour(),
            local.minute()
        );
        let q = |op: &str| format!("key = {key} AND updated {op} \"{lit}\"");
        let count = |jql: String| {
            let api = api.clone();
            async move {
                api.post(SEARCH, &json!({"jql": jql})).await.body["issues"]
                    .as_array()
                    .unwrap()
                    .len()
            }
        };
        assert_eq!(count(q(">=")).await, 1, "{zone}");
        // Minute granularity: 01:45:30 is after the literal "01:45".
        assert_eq!(count(q("<=")).await, 0, "{zone}");
        // The issue's timestamps are rendered with the user's offset.
        let r = api
            .get(
                &format!("/rest/api/3/issue/{key}"),
                &[("fields", "updated")],
            )
            .await;
        let updated = r.body["fields"]["updated"].as_str().unwrap();
        let suffix = format!(
            "{}{:02}00",
            if offset_h < 0 { '-' } else { '+' },
            offset_h.abs()
        );
        assert!(updated.ends_with(&suffix), "{updated} in {zone}");
        assert_eq!(
            ts(&r.body["fields"]["updated"]),
            datetime!(2026-11-29 01:45:30.500 UTC)
        );
    }
}

#[tokio::test]
async fn and_or_parentheses_and_key_filters() {
    let sim = start(config(300)).await;
    let api = Api::new(sim.base_url());
    let snap = sim.issues_snapshot();
    let k1 = &snap[0].key;
    let k2 = &snap[1].key;
    let r = api
        .post(
            SEARCH,
            &json!({"jql": format!("key in ({k1}, {k2}) ORDER BY key ASC"), "fields": ["key"]}),
        )
        .await;
    assert_eq!(r.body["issues"].as_array().unwrap().len(), 2);
    let r = api.post(SEARCH, &json!({"jql": format!("key = {k1} OR (project = SUP AND key = {k2})"), "fields": ["key"]})).await;
    let n = r.body["issues"].as_array().unwrap().len();
    assert_eq!(n, if k2.starts_with("SUP") { 2 } else { 1 });
    let (not_eng, _) = api.search_all("project != ENG", &["key"], Some(5000)).await;
    assert!(
        not_eng
            .iter()
            .all(|i| !i["key"].as_str().unwrap().starts_with("ENG-"))
    );
    let eng = snap.iter().filter(|i| i.key.starts_with("ENG-")).count();
    assert_eq!(not_eng.len() + eng, 300);
}
