//! 50 seeded soak runs (`fieldsync_e2e::soak`): several devices of
//! different roles offline, office edits, every fault kind at random; a
//! failing run names its seed (replay with the `soak` binary).

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_seeded_soak_runs_keep_every_promise() {
    for seed in 1..=50 {
        fieldsync_e2e::soak::run(seed).await;
    }
}
