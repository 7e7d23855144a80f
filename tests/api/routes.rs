//! Every page of the router is in the browser crawl's route list (end2end/tests/crawl.spec.ts),
//! so a new screen is crawled for every role and viewport from the day it is added.

#[test]
fn every_route_of_the_app_is_crawled_by_the_browser_tests() {
    let root = env!("CARGO_MANIFEST_DIR");
    let app = std::fs::read_to_string(format!("{root}/src/app.rs")).unwrap();
    let crawl = std::fs::read_to_string(format!("{root}/end2end/tests/crawl.spec.ts")).unwrap();
    let routes: Vec<&str> = app.split("path!(\"").skip(1).filter_map(|rest| rest.split('"').next()).collect();
    assert!(routes.len() >= 20, "routes found in src/app.rs: {routes:?}");
    let missing: Vec<&&str> = routes.iter().filter(|r| !crawl.contains(&format!("\"{r}\": {{"))).collect();
    assert!(missing.is_empty(), "add these routes to ROUTES in end2end/tests/crawl.spec.ts: {missing:?}");
}
