//! The definition form's helpers: a definition's member count before it
//! is saved (counted by core on a device store fed the organizations'
//! feeds) and the values the builder's pickers offer.

use serde_json::{Value, json};

use crate::support::{Api, demo};

const PREVIEW: &str = "/portal/v1/customer-segments/preview";

async fn count(api: &Api, body: Value) -> (u64, Vec<String>) {
    let answer = api.post(PREVIEW, body).await.expect(200);
    let orgs = answer["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_str().unwrap().to_owned())
        .collect();
    (answer["member_count"].as_u64().unwrap(), orgs)
}

async fn customers(api: &Api) -> usize {
    api.get("/portal/v1/customers")
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["deleted"] != true)
        .count()
}

#[tokio::test]
async fn a_definition_is_counted_as_devices_will_evaluate_it() {
    let (_server, api) = demo().await;
    let manager = api.login("manager").await;
    let admin = api.login("admin").await;
    let segments_before = manager
        .get("/portal/v1/customer-segments")
        .await
        .expect(200);

    // The demo's "Buyers in Brno": Brno and at least one purchase, which
    // devices of org-north evaluate to two customers.
    let brno_buyers = json!({"all": [
        {"attribute": "city", "op": "equals", "value": "Brno"},
        {"purchases": "count", "op": "between", "min": 1}
    ]});
    assert_eq!(
        count(&manager, json!({"criteria": brno_buyers})).await,
        (2, vec!["org-north".to_owned()])
    );

    // Exclusion through another segment: everyone but the one VIP, in the
    // manager's organization; an admin's ALL counts every organization.
    let not_vip = json!({"not": {"in_segment": "cs-vip"}});
    let north = customers(&manager).await as u64;
    assert_eq!(
        count(
            &manager,
            json!({"organization": "ALL", "criteria": not_vip})
        )
        .await,
        (north - 1, vec!["org-north".to_owned()])
    );
    let everyone = customers(&admin).await as u64;
    assert_eq!(
        count(&admin, json!({"criteria": not_vip})).await,
        (
            everyone - 1,
            vec!["org-north".to_owned(), "org-south".to_owned()]
        )
    );
    assert_eq!(
        count(
            &admin,
            json!({"organization": "org-south", "criteria": not_vip})
        )
        .await
        .1,
        ["org-south"]
    );

    // Nothing was saved.
    assert_eq!(
        manager
            .get("/portal/v1/customer-segments")
            .await
            .expect(200),
        segments_before
    );
}

#[tokio::test]
async fn a_preview_is_validated_as_a_save_is() {
    let (_server, api) = demo().await;
    let manager = api.login("manager").await;
    let admin = api.login("admin").await;
    let tech = api.login("tech").await;
    let brno = json!({"attribute": "city", "op": "equals", "value": "Brno"});

    manager
        .post(PREVIEW, json!({}))
        .await
        .expect_error(422, "validation", Some("criteria"));
    manager
        .post(
            PREVIEW,
            json!({"criteria": {"all": [brno, {"attribute": "city", "op": "after", "value": "x"}]}}),
        )
        .await
        .expect_error(422, "validation", Some("criteria.all[1].op"));
    manager
        .post(PREVIEW, json!({"criteria": brno, "flexi": true}))
        .await
        .expect_error(422, "validation", None);
    admin
        .post(
            PREVIEW,
            json!({"organization": "org-nowhere", "criteria": brno}),
        )
        .await
        .expect_error(422, "validation", Some("organization"));
    manager
        .post(
            PREVIEW,
            json!({"organization": "org-south", "criteria": brno}),
        )
        .await
        .expect(403);
    tech.post(PREVIEW, json!({"criteria": brno}))
        .await
        .expect(403);
}

#[tokio::test]
async fn the_pickers_offer_what_the_customers_have() {
    let (_server, api) = demo().await;
    let admin = api.login("admin").await;
    let manager = api.login("manager").await;
    let all = admin.get("/portal/v1/criteria-values").await.expect(200);
    assert_eq!(
        all["badges"],
        json!(["early-adopter", "top-reviewer", "wholesale-partner"])
    );
    assert_eq!(all["audiences"], json!(["aud-spring-sale"]));
    assert_eq!(all["campaigns"], json!(["camp-newsletter-1"]));
    assert_eq!(all["partners"], json!(["pt-wholesale"]));
    let units = all["business_units"].as_array().unwrap();
    for unit in ["bu-bristol", "bu-brno", "bu-praha", "bu-web"] {
        assert!(units.contains(&json!(unit)), "{unit} in {units:?}");
    }
    // A manager's pickers hold only their own organization's values.
    let north = manager.get("/portal/v1/criteria-values").await.expect(200);
    assert!(
        !north["business_units"]
            .as_array()
            .unwrap()
            .contains(&json!("bu-bristol"))
    );
    // Technicians read them too (the screens are read-only for them).
    api.login("tech")
        .await
        .get("/portal/v1/criteria-values")
        .await
        .expect(200);
}
