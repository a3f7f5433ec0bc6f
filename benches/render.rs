//! Frame render cost of the fleet view: 500 services at 200×50 (target p99 ≤ 1 ms).
//! `cargo bench --bench render`

use criterion::{Criterion, criterion_group, criterion_main};
use opsdeck::app::reducer::{Msg, update};
use opsdeck::app::state::State;
use opsdeck::fixture;
use opsdeck::model::Action;
use opsdeck::model::{RunState, ServiceObservation};
use opsdeck::protocol::Update;
use opsdeck::ui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn big_state() -> (opsdeck::config::Config, State) {
    let config = fixture::big_config(50, 10);
    let now = fixture::clock();
    let mut state = State::new(&config, false, fixture::themes(), 0, now);
    state.size = (200, 50);
    let hosts: Vec<_> = state.hosts.iter().map(|h| h.id.clone()).collect();
    for (i, host) in hosts.iter().enumerate() {
        for k in 0..300 {
            let sample = fixture::sample(
                now - chrono::Duration::seconds(600 - 2 * k),
                i as u64,
                k as u64,
            );
            update(
                &mut state,
                &config,
                Msg::Update(Update::HostSampled {
                    host: host.clone(),
                    sample,
                }),
            );
        }
    }
    let ids: Vec<_> = state
        .hosts
        .iter()
        .flat_map(|h| h.services.iter().map(|s| s.id.clone()))
        .collect();
    for (i, service) in ids.into_iter().enumerate() {
        let observation = ServiceObservation {
            at: now,
            state: if i % 17 == 0 {
                RunState::Stopped
            } else {
                RunState::Running
            },
            detail: format!("pid {} · active (running)", 1000 + i),
            uptime: Some(std::time::Duration::from_secs(3600 + i as u64)),
            cpu_percent: Some((i % 50) as f64),
            mem_bytes: Some((i as u64 + 1) << 20),
        };
        update(
            &mut state,
            &config,
            Msg::Update(Update::ServiceObserved {
                service,
                observation,
            }),
        );
    }
    (config, state)
}

fn bench_render(c: &mut Criterion) {
    let (config, mut state) = big_state();
    assert_eq!(
        state.hosts.iter().map(|h| h.services.len()).sum::<usize>(),
        500
    );
    let theme = Theme::default();
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).unwrap();
    // Criterion reports means; the target is on the tail, so measure percentiles directly too
    // (only under `cargo bench`, not when the test suite runs benches once).
    if std::env::args().any(|a| a == "--bench") {
        print_percentiles(&mut terminal, &state, &theme);
    }
    c.bench_function("fleet_500_services_200x50", |b| {
        b.iter(|| {
            terminal
                .draw(|f| opsdeck::ui::render(f, &state, &theme))
                .unwrap();
        });
    });
    // Scrolled to the middle with a filter active: the row list is rebuilt each frame.
    state.filter = "svc-0".into();
    update(&mut state, &config, Msg::Action(Action::PageDown));
    c.bench_function("fleet_500_services_filtered_200x50", |b| {
        b.iter(|| {
            terminal
                .draw(|f| opsdeck::ui::render(f, &state, &theme))
                .unwrap();
        });
    });
    // The big-fleet view: fuzzy filter, problems only, grouped by tag, sorted by CPU — every
    // row scored, judged and sorted each frame.
    state.filter = "svc 0".into();
    state.view.problems_only = true;
    state.view.grouping = opsdeck::app::fleet_view::Grouping::Tag;
    state.view.sort = Some(opsdeck::app::fleet_view::SortColumn::Cpu);
    c.bench_function("fleet_500_services_fuzzy_problems_by_tag_200x50", |b| {
        b.iter(|| {
            terminal
                .draw(|f| opsdeck::ui::render(f, &state, &theme))
                .unwrap();
        });
    });
    state.filter.clear();
    state.view = Default::default();
    update(&mut state, &config, Msg::Action(Action::Open));
    c.bench_function("host_detail_200x50", |b| {
        b.iter(|| {
            terminal
                .draw(|f| opsdeck::ui::render(f, &state, &theme))
                .unwrap();
        });
    });
}

fn print_percentiles(terminal: &mut Terminal<TestBackend>, state: &State, theme: &Theme) {
    let mut frames: Vec<std::time::Duration> = (0..3000)
        .map(|_| {
            let t = std::time::Instant::now();
            terminal
                .draw(|f| opsdeck::ui::render(f, state, theme))
                .unwrap();
            t.elapsed()
        })
        .collect();
    frames.sort();
    let pct = |p: f64| frames[((frames.len() - 1) as f64 * p) as usize].as_secs_f64() * 1e6;
    println!(
        "fleet 500 services 200x50: p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs",
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
}

criterion_group!(benches, bench_render);
criterion_main!(benches);
