//! `fieldsync demo`: the whole story against an in-process mock Portal.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use fieldsync_client::{HttpConfig, SyncClient};
use fieldsync_core::Store;
use fieldsync_core::model::{CustomerDraft, CustomerUpdate, LanguageTag};
use fieldsync_core::sync::{Credentials, SyncSettings};
use sync_server_mock::{ServerConfig, spawn};

use crate::customer_segments::segment_row;
use crate::inspect::{describe, sync_with_progress};
use crate::{CliResult, locale};

struct Device {
    name: &'static str,
    store: Arc<Store>,
    client: SyncClient,
}

impl Device {
    fn open(name: &'static str, path: &Path, server: &str, user: &str) -> CliResult<Self> {
        let store = Arc::new(
            Store::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?,
        );
        let credentials = Credentials::Password {
            username: user.into(),
            password: user.into(),
        };
        let client = SyncClient::new(
            store.clone(),
            &HttpConfig::new(server),
            credentials,
            SyncSettings::default(),
        )
        .map_err(|e| e.to_string())?;
        Ok(Device {
            name,
            store,
            client,
        })
    }

    async fn sync(&self) -> CliResult {
        let report = sync_with_progress(&self.client).await?;
        println!("[{}] {}", self.name, describe(&report));
        Ok(())
    }

    fn dropdown(&self, tag: &str) -> CliResult {
        let options = self
            .store
            .segment_options(&locale(tag)?)
            .map_err(|e| e.to_string())?;
        println!("[{}] segment dropdown ({tag}):", self.name);
        for o in options {
            println!("    {:<22} visit: {}", o.label, o.visit_frequency.label());
        }
        Ok(())
    }

    fn segment_id(&self, label: &str) -> CliResult<String> {
        let en = locale("en")?;
        let options = self.store.segment_options(&en).map_err(|e| e.to_string())?;
        options
            .into_iter()
            .find(|o| o.label == label)
            .map(|o| o.id)
            .ok_or_else(|| format!("the demo data has no segment '{label}'"))
    }

    fn show(&self, id: &str, tag: &str) -> CliResult {
        let view = self
            .store
            .customer(id, &locale(tag)?)
            .map_err(|e| e.to_string())?
            .ok_or("the demo customer is missing")?;
        let segment = view.segment.as_ref().map_or("-".to_owned(), |s| {
            let label = s.label.clone().unwrap_or_else(|| s.id.clone());
            if s.deleted {
                format!("{label} (deleted in the Portal)")
            } else {
                label
            }
        });
        let state = if view.customer.is_new() {
            "new, not yet on the server"
        } else {
            "on the server"
        };
        println!(
            "[{}] {} ({state}): segment {segment}; segment editable here: {}",
            self.name, view.customer.name, view.segment_editable
        );
        Ok(())
    }
}

/// Customer segments: the list, the members of one, a customer's
/// segments, and a flexi segment following a manager's edit of a static one
/// offline. `skip` is the customer the demo made (named like a demo
/// customer): the edit is made on another.
async fn customer_segments(tech: &Device, manager: &Device, skip: &str) -> CliResult {
    const VIP: &str = "cs-vip";
    const NOT_VIP: &str = "cs-not-vip";
    let err = |e: fieldsync_core::Error| e.to_string();
    println!("\n[manager] customer segments, highest priority first:");
    let segments = manager.store.customer_segments(None).map_err(err)?;
    for s in &segments {
        println!("    {}", segment_row(s));
    }
    for id in [VIP, NOT_VIP] {
        if !segments.iter().any(|s| s.id == id) {
            return Err(format!("the demo data has no customer segment {id}"));
        }
    }
    let members = |device: &Device, segment: &str| -> CliResult<Vec<(String, String)>> {
        let page = device
            .store
            .customer_segment_members(segment, 500, 0)
            .map_err(err)?;
        Ok(page
            .members
            .into_iter()
            .map(|m| (m.customer_id, m.name))
            .collect())
    };
    let list = |members: &[(String, String)]| -> String {
        members
            .iter()
            .map(|(id, name)| format!("{name} ({id})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let not_vip = members(manager, NOT_VIP)?;
    println!(
        "[manager] members of {VIP}: {}",
        list(&members(manager, VIP)?)
    );
    println!(
        "[manager] members of {NOT_VIP} (flexi: everyone but the VIPs): {}",
        list(&not_vip)
    );
    let (customer_id, name) = not_vip
        .iter()
        .find(|(id, _)| id != skip)
        .cloned()
        .ok_or("the demo data has no customer outside the VIPs")?;

    match tech.store.add_to_customer_segment(VIP, &customer_id) {
        Err(e) => println!("[technician] putting {name} in {VIP} is refused: {e}"),
        Ok(_) => return Err("a technician edited a static segment: the rule is broken".into()),
    }
    manager
        .store
        .add_to_customer_segment(VIP, &customer_id)
        .map_err(|e| format!("the manager's edit failed: {e}"))?;
    println!("[manager] put {name} in {VIP}, offline");
    let not_vip = members(manager, NOT_VIP)?;
    println!(
        "[manager] members of {NOT_VIP} at once, before any sync: {}",
        list(&not_vip)
    );
    if not_vip.iter().any(|(id, _)| *id == customer_id) {
        return Err(format!("{NOT_VIP} did not follow the edit of {VIP}"));
    }
    manager.sync().await?;
    tech.sync().await?;
    let of = tech.store.customer_segments_of(&customer_id).map_err(err)?;
    println!("[technician] customer segments of {name}, the primary (*) first:");
    for (i, s) in of.iter().enumerate() {
        let mark = if i == 0 { "*" } else { " " };
        println!("  {mark} {}", segment_row(s));
    }
    if of.first().map(|s| s.id.as_str()) != Some(VIP) {
        return Err(format!(
            "{VIP} is not the primary segment on the technician's device"
        ));
    }
    Ok(())
}

/// The office deleting a segment in the Portal (Settings -> Sales ->
/// Marketing Segments), through the mock's admin API.
async fn portal_delete_segment(server: &str, segment_id: &str) -> CliResult {
    let http = reqwest::Client::new();
    let login: serde_json::Value = http
        .post(format!("{server}/auth/v1/login"))
        .json(&serde_json::json!({"username": "admin", "password": "admin"}))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("admin login failed: {e}"))?
        .json()
        .await
        .map_err(|e| format!("admin login answer: {e}"))?;
    let token = login["access_token"]
        .as_str()
        .ok_or("admin login gave no token")?;
    http.delete(format!(
        "{server}/portal/v1/marketing-segments/{segment_id}"
    ))
    .bearer_auth(token)
    .send()
    .await
    .and_then(reqwest::Response::error_for_status)
    .map_err(|e| format!("deleting the segment failed: {e}"))?;
    Ok(())
}

pub async fn run(db: Option<PathBuf>, keep_portal: bool) -> CliResult {
    let temp = tempfile::tempdir().map_err(|e| format!("no temporary folder: {e}"))?;
    let tech_db = db.unwrap_or_else(|| temp.path().join("technician.db"));
    let server = spawn(ServerConfig::demo())
        .await
        .map_err(|e| format!("cannot start the mock Portal: {e}"))?;
    let url = server.url();
    println!("mock Portal listening on {url}");
    println!(
        "the Portal's screens: {url}/portal/ (users admin, manager, tech; the password is the name)"
    );
    println!("technician device database: {}\n", tech_db.display());

    let tech = Device::open("technician", &tech_db, &url, "tech")?;
    tech.sync().await?;
    tech.dropdown("en")?;
    tech.dropdown("nl")?;

    let retail = tech.segment_id("Retail")?;
    let wholesale = tech.segment_id("Wholesale")?;
    let customer = tech
        .store
        .create_customer(CustomerDraft {
            segment_id: Some(retail.clone()),
            ..CustomerDraft::named("Bakkerij Janssens")
        })
        .map_err(|e| e.to_string())?;
    println!();
    tech.show(&customer.id, "nl")?;
    tech.sync().await?;
    tech.show(&customer.id, "nl")?;

    let to_wholesale = CustomerUpdate {
        segment_id: Some(Some(wholesale.clone())),
        ..Default::default()
    };
    match tech.store.update_customer(&customer.id, &to_wholesale) {
        Err(e) => println!("[technician] changing the segment to Wholesale is refused: {e}"),
        Ok(_) => {
            return Err("the technician's segment change was accepted: the rule is broken".into());
        }
    }

    println!();
    let manager = Device::open("manager", &temp.path().join("manager.db"), &url, "manager")?;
    manager.sync().await?;
    manager.show(&customer.id, "en")?;
    manager
        .store
        .update_customer(&customer.id, &to_wholesale)
        .map_err(|e| format!("the manager's change failed: {e}"))?;
    println!("[manager] changed the segment to Wholesale");
    manager.sync().await?;

    println!();
    tech.sync().await?;
    tech.show(&customer.id, "en")?;

    println!("\n[portal] an admin deletes the segment Wholesale");
    portal_delete_segment(&url, &wholesale).await?;
    tech.sync().await?;
    tech.dropdown("en")?;
    tech.show(&customer.id, "en")?;
    let en = LanguageTag::english();
    let offered = tech.store.segment_options(&en).map_err(|e| e.to_string())?;
    if offered.iter().any(|o| o.id == wholesale) {
        return Err("the deleted segment is still offered".into());
    }

    customer_segments(&tech, &manager, &customer.id).await?;
    println!("\ndemo complete");
    if keep_portal {
        println!("\nthe Portal keeps running at {url}/portal/ : press Ctrl-C to stop");
        tokio::signal::ctrl_c()
            .await
            .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
    }
    Ok(())
}
