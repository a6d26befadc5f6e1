//! The review service: asks the registry, builds plain review values with the
//! pure core, and hands them to a front end. Front ends never call the registry.

pub mod audit;
pub mod decide;
pub mod deploy;
pub mod drift;
pub mod gates;
pub mod history;
pub mod records;
pub mod revalidate;
pub mod show;
pub mod stats;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use futures_util::{StreamExt, stream};

use crate::config::Config;
use crate::registry::{ModelVersion, RegisteredModel, Registry, Result, Run, VersionKey};
use crate::review::queue::{self, QueueItem, QueueSettings, ReviewInput};
use crate::review::state::{ReviewState, TAG_REVIEW};

/// How many per-version fetches run at once.
const CONCURRENCY: usize = 16;

pub struct ReviewService {
    /// Private: front ends ask the service, never the registry.
    registry: Arc<dyn Registry>,
    pub config: Config,
    /// The configured policy bundle, loaded on first use.
    gates: OnceLock<Arc<crate::policy::Gates>>,
    /// The configured roster, loaded on first use.
    roster: OnceLock<records::RosterState>,
    /// What the local checkpoint and a `--checkpoint` file say was seen when,
    /// read once (PROTOCOL 8, 12); see `records.rs`.
    sightings: records::Sightings,
}

/// The queue and what could not be loaded at all.
#[derive(Debug, Clone)]
pub struct QueueResult {
    pub items: Vec<QueueItem>,
}

/// Everything fetched for a set of versions: their models, runs and baselines.
struct Loaded {
    models: HashMap<String, RegisteredModel>,
    runs: HashMap<String, Run>,
    baselines: HashMap<VersionKey, ModelVersion>,
    /// The baseline number of each version under review, decided once.
    baseline_of: HashMap<VersionKey, Option<String>>,
    /// The records of each version under review, checked once, on every core.
    checked: HashMap<VersionKey, Vec<crate::trust::record::Checked>>,
    /// Baseline versions that could not be read, with why: a problem on the
    /// reviews that compare against them.
    baseline_errors: HashMap<VersionKey, String>,
}

impl Loaded {
    fn baseline_no(&self, v: &ModelVersion) -> Option<String> {
        self.baseline_of.get(&VersionKey::of(v)).cloned().flatten()
    }

    fn checked(&self, v: &ModelVersion) -> &[crate::trust::record::Checked] {
        self.checked
            .get(&VersionKey::of(v))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
}

impl ReviewService {
    pub fn new(registry: Arc<dyn Registry>, config: Config) -> Self {
        ReviewService {
            registry,
            config,
            gates: OnceLock::new(),
            roster: OnceLock::new(),
            sightings: Default::default(),
        }
    }

    /// The registry as the console's header and the queue's title name it.
    pub fn describe_registry(&self) -> String {
        self.registry.describe()
    }

    fn queue_settings(&self) -> QueueSettings<'_> {
        QueueSettings {
            risk: &self.config.risk,
            production_alias: &self.config.production_alias,
            metric_direction: &self.config.metric_direction,
        }
    }

    /// Every registered model by name, in one call.
    pub(crate) async fn models_by_name(&self) -> Result<HashMap<String, RegisteredModel>> {
        Ok(self
            .registry
            .list_registered_models()
            .await?
            .into_iter()
            .map(|m| (m.name.clone(), m))
            .collect())
    }

    /// The risk settings that apply to `model` (configuration and the
    /// model's tags; a model not listed has no tags).
    pub(crate) fn effective_risk(
        &self,
        model: &str,
        listed: Option<&RegisteredModel>,
    ) -> crate::review::risk::Effective {
        static NO_TAGS: std::sync::LazyLock<crate::registry::Tags> =
            std::sync::LazyLock::new(Default::default);
        self.config
            .risk
            .effective(model, listed.map_or(&*NO_TAGS, |m| &m.tags))
    }

    /// The versions under review: `pending` ones, or with `all` every version
    /// whose `modelgate.review` tag holds any state.
    /// Without `all`, also `revalidation` ones and the `approved` ones whose
    /// records allow a renewal to be due by now (PROTOCOL 15): the others
    /// are left unchecked, so many approved versions cost the queue little.
    async fn review_versions(
        &self,
        all: bool,
        models: &HashMap<String, RegisteredModel>,
        now_ms: i64,
    ) -> Result<Vec<ModelVersion>> {
        let states: &[ReviewState] = if all {
            &ReviewState::ALL
        } else {
            &[
                ReviewState::Pending,
                ReviewState::Revalidation,
                ReviewState::Approved,
            ]
        };
        let expires = crate::review::risk::Risk::ALL
            .into_iter()
            .any(|r| self.config.lifetimes.valid_secs(r).is_some());
        let mut out = Vec::new();
        for st in states {
            // Approvals that never expire are never due: no need to read them.
            if *st == ReviewState::Approved && !all && !expires {
                continue;
            }
            let found = self
                .registry
                .search_versions_by_tag(TAG_REVIEW, st.as_str())
                .await?;
            if *st == ReviewState::Approved && !all {
                out.extend(found.into_iter().filter(|v| {
                    crate::trust::summary::renewal_possible(
                        &v.tags,
                        &self.config.lifetimes,
                        self.effective_risk(&v.name, models.get(&v.name)).risk,
                        now_ms.div_euclid(1000),
                    )
                }));
            } else {
                out.extend(found);
            }
        }
        Ok(out)
    }

    /// The queue's entries: what waits for reviewers, and renewals due.
    fn listed(item: &QueueItem) -> bool {
        item.state.clock_runs() || item.kind == queue::Kind::Renewal
    }

    /// Models, runs and baseline versions for `versions`, in few calls: one model
    /// listing, one batched run fetch, one call per distinct baseline version.
    async fn load(
        &self,
        versions: &[ModelVersion],
        models: HashMap<String, RegisteredModel>,
    ) -> Result<Loaded> {
        let known: HashMap<(&str, &str), &ModelVersion> = versions
            .iter()
            .map(|v| ((v.name.as_str(), v.version.as_str()), v))
            .collect();
        let checked: HashMap<VersionKey, Vec<crate::trust::record::Checked>> = versions
            .iter()
            .map(VersionKey::of)
            .zip(self.check_many(versions))
            .collect();
        let mut wanted: HashSet<VersionKey> = HashSet::new();
        let mut baseline_of = HashMap::new();
        for v in versions {
            let mine = checked
                .get(&VersionKey::of(v))
                .map(Vec::as_slice)
                .unwrap_or_default();
            let b = self.baseline_with(v, models.get(&v.name), mine);
            if let Some(b) = &b
                && !known.contains_key(&(v.name.as_str(), b.as_str()))
            {
                wanted.insert(VersionKey::new(&v.name, b));
            }
            baseline_of.insert(VersionKey::of(v), b);
        }
        let fetched: Vec<(VersionKey, Result<ModelVersion>)> = stream::iter(wanted)
            .map(|k| async move {
                let r = self.registry.get_version(&k.model, &k.version).await;
                (k, r)
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut baselines = HashMap::new();
        let mut baseline_errors = HashMap::new();
        for (k, r) in fetched {
            match r {
                Ok(v) => {
                    baselines.insert(k, v);
                }
                // A baseline that is gone shows as "no baseline" with a problem, not a failure.
                Err(crate::registry::RegistryError::NotFound { .. }) => {}
                // Nor does one that cannot be read: it sinks only the reviews using it.
                Err(e) => {
                    let why = format!(
                        "model {k}, the baseline, could not be read ({e}); metrics show no baseline"
                    );
                    baseline_errors.insert(k, why);
                }
            }
        }
        for v in versions {
            baselines.insert(VersionKey::of(v), v.clone());
        }
        let mut run_ids: Vec<String> = baselines
            .values()
            .filter_map(|v| v.run_id.clone())
            .collect();
        run_ids.sort();
        run_ids.dedup();
        let runs = self
            .registry
            .get_runs(&run_ids)
            .await?
            .into_iter()
            .map(|r| (r.run_id.clone(), r))
            .collect();
        Ok(Loaded {
            models,
            runs,
            baselines,
            baseline_of,
            checked,
            baseline_errors,
        })
    }

    /// The reviewer queue, sorted by deadline (PROTOCOL 10).
    pub async fn queue(&self, all: bool, now_ms: i64) -> Result<QueueResult> {
        let (_, _, items) = self.queue_items(all, now_ms).await?;
        Ok(QueueResult { items })
    }

    /// The versions read, what was loaded for them, and the queue's entries.
    async fn queue_items(
        &self,
        all: bool,
        now_ms: i64,
    ) -> Result<(Vec<ModelVersion>, Loaded, Vec<QueueItem>)> {
        let models = self.models_by_name().await?;
        let versions = self.review_versions(all, &models, now_ms).await?;
        let loaded = self.load(&versions, models).await?;
        let inputs: Vec<ReviewInput<'_>> = versions
            .iter()
            .map(|v| self.input(v, &loaded, now_ms))
            .collect();
        let mut items = queue::build(&inputs, &self.queue_settings(), now_ms);
        drop(inputs);
        items.retain(|i| all || Self::listed(i));
        Ok((versions, loaded, items))
    }

    /// The queue with each review's gate counts (`{"deny", "warn", "error"}`)
    /// from the configured bundle. Reads every review's reports, a bounded
    /// number at once, with the same code as `show`.
    pub async fn queue_with_gates(&self, all: bool, now_ms: i64) -> Result<QueueResult> {
        let (versions, loaded, items) = self.queue_items(all, now_ms).await?;
        let by_key: HashMap<(&str, &str), &ModelVersion> = versions
            .iter()
            .map(|v| ((v.name.as_str(), v.version.as_str()), v))
            .collect();
        let gates = self.gates();
        // The futures are built first, so the stream holds no closure: the
        // whole future stays `Send` for any lifetime (tokio::spawn needs it).
        let futures: Vec<_> = items
            .into_iter()
            .map(|item| {
                let v = by_key
                    .get(&(item.model.as_str(), item.version.as_str()))
                    .copied();
                self.gate_item(item, v, &loaded, &gates)
            })
            .collect();
        let items = stream::iter(futures).buffered(CONCURRENCY).collect().await;
        Ok(QueueResult { items })
    }

    /// One queue item with its gate counts.
    async fn gate_item(
        &self,
        mut item: QueueItem,
        version: Option<&ModelVersion>,
        loaded: &Loaded,
        gates: &crate::policy::Gates,
    ) -> QueueItem {
        if let Some(v) = version {
            let detail = self
                .assemble(self.parts(v, loaded), item.clone(), show::Evidence::Skip)
                .await;
            let counts = gates.evaluate(&detail).result.counts();
            item.gates = Some(crate::review::gates::ItemGates::Counts(counts));
        }
        item
    }

    fn parts<'a>(&self, v: &'a ModelVersion, loaded: &'a Loaded) -> show::Parts<'a> {
        let model = loaded.models.get(&v.name);
        let baseline = loaded
            .baseline_no(v)
            .and_then(|b| loaded.baselines.get(&VersionKey::new(&v.name, b)));
        show::Parts {
            version: v,
            model,
            baseline,
            run: v.run_id.as_ref().and_then(|id| loaded.runs.get(id)),
            baseline_run: baseline
                .and_then(|bv| bv.run_id.as_ref())
                .and_then(|id| loaded.runs.get(id)),
        }
    }

    fn input<'a>(&self, v: &'a ModelVersion, loaded: &'a Loaded, now_ms: i64) -> ReviewInput<'a> {
        let model = loaded.models.get(&v.name);
        let baseline = loaded.baseline_no(v);
        let baseline_run = baseline
            .as_ref()
            .and_then(|b| loaded.baselines.get(&VersionKey::new(&v.name, b)))
            .and_then(|bv| bv.run_id.as_ref())
            .and_then(|id| loaded.runs.get(id));
        let run = v.run_id.as_ref().and_then(|id| loaded.runs.get(id));
        let load_problems = baseline
            .as_ref()
            .and_then(|b| loaded.baseline_errors.get(&VersionKey::new(&v.name, b)))
            .cloned()
            .into_iter()
            .collect();
        ReviewInput {
            version: v,
            model,
            run,
            baseline,
            baseline_run,
            trust: self.queue_trust_with(v, model, run, loaded.checked(v), now_ms),
            load_problems,
        }
    }
}
