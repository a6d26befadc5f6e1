//! What the demo registry holds: eight models across the four risk tiers, each
//! with a version history. Numbers are shaped by a per-version `quality` (0 is
//! the model's `worst` metric value, 1 its `best`); the seed only adds jitter,
//! so every evidence case below exists for every seed.

use crate::review::risk::Risk;

/// An input column of the champion's signature (all required).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Col {
    pub name: &'static str,
    pub ty: &'static str,
    /// Mean |SHAP| in the champion; 0 leaves the feature out of the report.
    pub importance: f64,
}

const fn col(name: &'static str, ty: &'static str, importance: f64) -> Col {
    Col {
        name,
        ty,
        importance,
    }
}

/// How a metric's history looks: a training curve or repeated measurements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Trained,
    Measured,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct MetricSpec {
    pub name: &'static str,
    /// Value at quality 0 and 1; `worst > best` for lower-is-better metrics.
    pub worst: f64,
    pub best: f64,
    pub decimals: i32,
    pub kind: Kind,
}

const fn trained(name: &'static str, worst: f64, best: f64, decimals: i32) -> MetricSpec {
    MetricSpec {
        name,
        worst,
        best,
        decimals,
        kind: Kind::Trained,
    }
}

const fn measured(name: &'static str, worst: f64, best: f64, decimals: i32) -> MetricSpec {
    MetricSpec {
        name,
        worst,
        best,
        decimals,
        kind: Kind::Measured,
    }
}

/// How the model file is serialised: modelscan reads pickles but not skops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Pickle,
    Skops,
}

impl Format {
    pub(crate) fn file_name(self) -> &'static str {
        match self {
            Format::Pickle => "model.pkl",
            Format::Skops => "model.skops",
        }
    }
}

/// One sensitive feature of the fairness report: group -> selection rate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sensitive {
    pub feature: &'static str,
    pub groups: &'static [(&'static str, f64)],
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Fairness {
    pub tpr: f64,
    pub fpr: f64,
    pub features: &'static [Sensitive],
}

/// A version's review tag (PROTOCOL 4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Review {
    Untagged,
    /// A past outcome (`approved`, `rejected`, ...), written before modelgate signed anything.
    Tagged(&'static str),
    /// In the queue: submitted `hours_ago` by the roster id `by`.
    Pending {
        hours_ago: f64,
        by: &'static str,
    },
}

/// How the version's input schema differs from the champion's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Schema {
    Same,
    Drop(&'static str),
    Retype(&'static str, &'static str),
    AddOptional(&'static str, &'static str, f64),
}

/// Whether CI ran modelscan, and whether it found the planted HIGH issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scan {
    Absent,
    Ran,
    RanWithHigh,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct VersionSpec {
    pub quality: f64,
    /// Per-metric quality instead of `quality`; NaN makes the latest value NaN.
    pub overrides: &'static [(&'static str, f64)],
    /// When the run started; pending versions start 6 hours before submission instead.
    pub days_ago: f64,
    pub review: Review,
    /// The run's `mlflow.user`.
    pub author: &'static str,
    pub description: &'static str,
    pub schema: Schema,
    pub card: bool,
    pub explain: bool,
    pub fairness: bool,
    pub scan: Scan,
    /// Fairness: this group's selection rate drops to 70% of the others'.
    pub disadvantaged: Option<(&'static str, &'static str)>,
    /// Explainability: this feature becomes the most important one.
    pub new_top_feature: Option<&'static str>,
    /// A past reject or request for changes that the demo's history signs
    /// again (`Review::Tagged` says which), with its category.
    pub decided: Option<Decided>,
}

/// Why a past decision went as it did: its category (PROTOCOL 13), the role
/// that signed it and the checklist item answered `no`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decided {
    pub category: &'static str,
    pub role: &'static str,
    pub unmet: &'static str,
}

const fn decided(
    category: &'static str,
    role: &'static str,
    unmet: &'static str,
) -> Option<Decided> {
    Some(Decided {
        category,
        role,
        unmet,
    })
}

/// A version with every report; the entries below change what differs.
const V: VersionSpec = VersionSpec {
    quality: 0.5,
    overrides: &[],
    days_ago: 0.0,
    review: Review::Untagged,
    author: "ana.ruiz",
    description: "",
    schema: Schema::Same,
    card: true,
    explain: true,
    fairness: true,
    scan: Scan::Ran,
    disadvantaged: None,
    new_top_feature: None,
    decided: None,
};

/// An early experiment: no modelgate reports yet.
const EARLY: VersionSpec = VersionSpec {
    card: false,
    explain: false,
    fairness: false,
    scan: Scan::Absent,
    ..V
};

const fn pending(hours_ago: f64, by: &'static str) -> Review {
    Review::Pending { hours_ago, by }
}

const ANA: &str = "ana.owner@demo.modelgate";
const KAI: &str = "kai.owner@demo.modelgate";

#[derive(Debug, Clone, Copy)]
pub(crate) struct ModelSpec {
    pub name: &'static str,
    pub description: &'static str,
    pub risk: Risk,
    /// Extra registered-model tags (team, PROTOCOL 3 tightening).
    pub tags: &'static [(&'static str, &'static str)],
    /// sklearn estimator class, for the params and the model card.
    pub estimator: &'static str,
    pub format: Format,
    pub train_script: &'static str,
    pub dataset: &'static str,
    pub limitations: &'static [&'static str],
    pub inputs: &'static [Col],
    /// The signature's outputs, as MLflow writes them (Python `json.dumps`).
    pub outputs: &'static str,
    pub metrics: &'static [MetricSpec],
    /// Hyper-parameter name -> candidate values.
    pub params: &'static [(&'static str, &'static [&'static str])],
    pub fairness: Option<Fairness>,
    /// 1-based version that holds the production alias, if any.
    pub champion: Option<usize>,
    pub versions: &'static [VersionSpec],
}

impl ModelSpec {
    /// The shortest SLA that applies (a model tag may only shorten it).
    #[cfg(test)]
    pub(crate) fn sla_hours(&self) -> f64 {
        let tagged = self
            .tags
            .iter()
            .find(|(k, _)| *k == "modelgate.sla_hours")
            .and_then(|(_, v)| v.parse::<f64>().ok());
        match tagged {
            Some(h) => h.min(self.risk.default_sla_hours()),
            None => self.risk.default_sla_hours(),
        }
    }
}

/// Classifier boosting hyper-parameters, shared by the tabular models.
const GBM_PARAMS: &[(&str, &[&str])] = &[
    ("learning_rate", &["0.03", "0.05", "0.08", "0.1"]),
    ("max_iter", &["300", "500", "800"]),
    ("max_leaf_nodes", &["31", "63", "127"]),
    ("l2_regularization", &["0.0", "0.1", "1.0"]),
    ("early_stopping", &["true"]),
    ("random_state", &["42"]),
];

pub(crate) const MODELS: &[ModelSpec] = &[
    ModelSpec {
        name: "fraud-detector",
        description: "Real-time card-not-present fraud scoring for the payments gateway. Every authorisation is scored in under 50 ms: above 0.92 it is declined, between 0.70 and 0.92 it goes to step-up authentication. Owned by Payments Risk (#payments-risk).",
        risk: Risk::Critical,
        tags: &[("team", "payments-risk"), ("modelgate.sla_hours", "12")],
        estimator: "sklearn.ensemble.HistGradientBoostingClassifier",
        format: Format::Pickle,
        train_script: "pipelines/fraud/train.py",
        dataset: "authorisations of the last 180 days, 41.2M rows, 0.31% confirmed fraud (chargebacks matured 60 days)",
        limitations: &[
            "Trained on card-not-present traffic only; do not use for in-store terminals.",
            "Chargeback labels lag by up to 60 days: the newest fraud patterns are under-represented.",
        ],
        inputs: &[
            col("transaction_amount", "double", 0.92),
            col("merchant_category", "string", 0.29),
            col("card_age_days", "long", 0.33),
            col("txn_count_24h", "long", 0.48),
            col("hour_of_day", "integer", 0.12),
            col("country_mismatch", "boolean", 0.55),
            col("device_risk_score", "double", 0.71),
            col("account_age_days", "long", 0.21),
        ],
        outputs: r#"[{"type": "double", "required": true}]"#,
        metrics: &[
            trained("auc", 0.905, 0.975, 4),
            trained("precision", 0.62, 0.86, 4),
            trained("recall", 0.55, 0.80, 4),
            trained("log_loss", 0.061, 0.027, 4),
            trained("fpr", 0.0062, 0.0014, 5),
            measured("latency_p95_ms", 68.0, 31.0, 1),
        ],
        params: GBM_PARAMS,
        fairness: Some(Fairness {
            tpr: 0.74,
            fpr: 0.003,
            features: &[Sensitive {
                feature: "billing_region",
                groups: &[
                    ("apac", 0.023),
                    ("emea", 0.022),
                    ("latam", 0.025),
                    ("na", 0.024),
                ],
            }],
        }),
        champion: Some(5),
        versions: &[
            VersionSpec {
                quality: 0.15,
                days_ago: 340.0,
                description: "First gradient-boosted baseline replacing the rules engine.",
                ..EARLY
            },
            VersionSpec {
                quality: 0.35,
                days_ago: 250.0,
                review: Review::Tagged("approved"),
                description: "Adds merchant category and 24-hour transaction velocity.",
                ..V
            },
            VersionSpec {
                quality: 0.5,
                days_ago: 170.0,
                review: Review::Tagged("approved"),
                author: "kai.tanaka",
                description: "Adds the third-party device risk score.",
                ..V
            },
            VersionSpec {
                quality: 0.58,
                days_ago: 110.0,
                review: Review::Tagged("rejected"),
                overrides: &[("fpr", 0.2)],
                description: "Aggressive threshold tuning; false positive rate too high for the step-up budget.",
                decided: decided("performance", "validator", "metrics"),
                ..V
            },
            VersionSpec {
                quality: 0.7,
                days_ago: 45.0,
                review: Review::Tagged("approved"),
                author: "kai.tanaka",
                description: "Retrained on the last 180 days; calibrated with isotonic regression.",
                ..V
            },
            VersionSpec {
                quality: 0.6,
                overrides: &[("latency_p95_ms", 0.95)],
                review: pending(30.0, KAI),
                author: "kai.tanaka",
                schema: Schema::Drop("device_risk_score"),
                description: "Lean variant without the third-party device risk score (vendor contract ends next quarter). Faster, slightly less accurate.",
                ..V
            },
            VersionSpec {
                quality: 0.85,
                overrides: &[("latency_p95_ms", 0.3)],
                review: pending(2.0, ANA),
                schema: Schema::AddOptional("ip_velocity_1h", "long", 0.18),
                description: "Adds IP velocity over the last hour as an optional input while the streaming feed rolls out; better ranking, but p95 latency grows.",
                ..V
            },
        ],
    },
    ModelSpec {
        name: "credit-risk-pd",
        description: "12-month probability of default for unsecured personal loans. Feeds the credit decision engine and IFRS 9 provisioning; adverse-action reasons come from its explanations.",
        risk: Risk::Critical,
        tags: &[("team", "consumer-lending"), ("regulation", "ECOA, IFRS 9")],
        estimator: "sklearn.ensemble.HistGradientBoostingClassifier",
        format: Format::Pickle,
        train_script: "pipelines/credit/train_pd.py",
        dataset: "booked loans of the last 5 years with a 12-month outcome, 1.9M rows, 4.7% default",
        limitations: &[
            "Scores only applicants with at least 6 months of credit history.",
            "Through-the-cycle calibration: recalibrate before using it for stress tests.",
        ],
        inputs: &[
            col("annual_income", "double", 0.38),
            col("debt_to_income", "double", 0.64),
            col("credit_history_months", "long", 0.47),
            col("open_accounts", "integer", 0.17),
            col("delinquencies_2y", "integer", 0.41),
            col("employment_length_years", "integer", 0.14),
            col("loan_amount", "double", 0.29),
            col("home_ownership", "string", 0.09),
            col("loan_purpose", "string", 0.07),
        ],
        outputs: r#"[{"type": "double", "name": "pd_12m", "required": true}]"#,
        metrics: &[
            trained("auc", 0.70, 0.80, 4),
            trained("gini", 0.40, 0.60, 4),
            trained("ks_statistic", 0.30, 0.47, 4),
            trained("log_loss", 0.205, 0.168, 4),
            trained("expected_calibration_error", 0.045, 0.008, 4),
        ],
        params: GBM_PARAMS,
        fairness: Some(Fairness {
            tpr: 0.68,
            fpr: 0.21,
            features: &[
                Sensitive {
                    feature: "age_band",
                    groups: &[
                        ("18-25", 0.58),
                        ("26-40", 0.63),
                        ("41-60", 0.64),
                        ("61+", 0.60),
                    ],
                },
                Sensitive {
                    feature: "sex",
                    groups: &[("female", 0.62), ("male", 0.63)],
                },
            ],
        }),
        champion: Some(4),
        versions: &[
            VersionSpec {
                quality: 0.2,
                days_ago: 400.0,
                description: "Logistic scorecard port, for comparison.",
                ..EARLY
            },
            VersionSpec {
                quality: 0.4,
                days_ago: 300.0,
                review: Review::Tagged("approved"),
                description: "Gradient boosting with monotonic constraints on income and debt-to-income.",
                ..V
            },
            VersionSpec {
                quality: 0.55,
                days_ago: 200.0,
                review: Review::Tagged("approved"),
                description: "Adds two-year delinquencies.",
                ..V
            },
            VersionSpec {
                quality: 0.68,
                days_ago: 90.0,
                review: Review::Tagged("approved"),
                author: "kai.tanaka",
                description: "Annual redevelopment on five years of outcomes; recalibrated.",
                ..V
            },
            VersionSpec {
                quality: 0.62,
                days_ago: 40.0,
                review: Review::Tagged("rejected"),
                overrides: &[("expected_calibration_error", 0.3)],
                description: "Drops monotonic constraints; calibration drifted in the 61+ band.",
                decided: decided("fairness", "compliance", "fairness"),
                ..V
            },
            VersionSpec {
                quality: 0.86,
                review: pending(21.0, KAI),
                author: "kai.tanaka",
                disadvantaged: Some(("age_band", "18-25")),
                description: "Adds bureau trended data through the existing features; best discrimination so far. Approval rates by age band need a look before sign-off.",
                ..V
            },
        ],
    },
    ModelSpec {
        name: "dynamic-pricing",
        description: "Nightly price-elasticity model for about 40,000 SKUs. Produces markdown recommendations that category managers review each morning; prices never move more than 15% a day.",
        risk: Risk::High,
        tags: &[("team", "pricing")],
        estimator: "sklearn.ensemble.HistGradientBoostingRegressor",
        format: Format::Skops,
        train_script: "pipelines/pricing/train_elasticity.py",
        dataset: "daily SKU sales and competitor prices of the last 2 years, 28M rows",
        limitations: &[
            "Not trained on launch-week prices: new SKUs fall back to category rules for 7 days.",
            "Competitor prices are scraped daily; intraday changes are invisible to it.",
        ],
        inputs: &[
            col("sku_id", "string", 0.05),
            col("category", "string", 0.33),
            col("base_price", "double", 1.52),
            col("competitor_price", "double", 1.84),
            col("stock_level", "long", 0.76),
            col("days_to_season_end", "integer", 0.97),
            col("promo_active", "boolean", 0.58),
            col("week_of_year", "integer", 0.41),
        ],
        outputs: r#"[{"type": "double", "name": "recommended_price", "required": true}]"#,
        metrics: &[
            trained("rmse", 4.8, 3.1, 3),
            trained("mae", 3.2, 2.0, 3),
            trained("mape", 0.19, 0.11, 4),
            trained("revenue_uplift_pct", 0.8, 3.6, 2),
            measured("latency_p95_ms", 140.0, 85.0, 1),
        ],
        params: &[
            ("learning_rate", &["0.05", "0.1"]),
            ("max_iter", &["400", "600"]),
            ("loss", &["squared_error", "absolute_error"]),
            ("max_depth", &["8", "12"]),
            ("random_state", &["7"]),
        ],
        fairness: None,
        champion: Some(4),
        versions: &[
            VersionSpec {
                quality: 0.2,
                days_ago: 380.0,
                description: "Log-log elasticity baseline.",
                ..EARLY
            },
            VersionSpec {
                quality: 0.4,
                days_ago: 260.0,
                review: Review::Tagged("approved"),
                scan: Scan::Absent,
                description: "Boosted trees with competitor prices.",
                ..V
            },
            VersionSpec {
                quality: 0.45,
                days_ago: 190.0,
                review: Review::Tagged("withdrawn"),
                scan: Scan::Absent,
                description: "Experiment with weather features; withdrawn, the feed was unreliable.",
                ..V
            },
            VersionSpec {
                quality: 0.66,
                days_ago: 75.0,
                review: Review::Tagged("approved"),
                description: "Season-aware: adds days to season end.",
                ..V
            },
            VersionSpec {
                quality: 0.7,
                days_ago: 30.0,
                review: Review::Tagged("changes_requested"),
                card: false,
                description: "Absolute-error loss; model card missing.",
                decided: decided("documentation", "validator", "card"),
                ..V
            },
            VersionSpec {
                quality: 0.84,
                review: pending(42.0, ANA),
                schema: Schema::Retype("stock_level", "double"),
                description: "Stock level is now fractional: the inventory feed reports weighed goods in kilograms. Lower error across all categories.",
                ..V
            },
        ],
    },
    ModelSpec {
        name: "claims-triage",
        description: "Routes incoming motor insurance claims to fast-track, standard handling or the special investigation unit (SIU). A human handler confirms every SIU referral.",
        risk: Risk::High,
        tags: &[("team", "claims-analytics")],
        estimator: "sklearn.ensemble.HistGradientBoostingClassifier",
        format: Format::Pickle,
        train_script: "pipelines/claims/train_triage.py",
        dataset: "closed motor claims of the last 3 years, 612k rows, 3.9% confirmed fraud",
        limitations: &[
            "Motor claims only; home and travel claims use separate rules.",
            "SIU outcomes are known for referred claims only (selection bias).",
        ],
        inputs: &[
            col("claim_amount", "double", 0.51),
            col("policy_age_days", "long", 0.22),
            col("vehicle_age_years", "integer", 0.15),
            col("prior_claims_3y", "integer", 0.44),
            col("incident_type", "string", 0.31),
            col("report_delay_days", "long", 0.58),
            col("police_report", "boolean", 0.37),
            col("claimant_age", "integer", 0.09),
            col("region", "string", 0.11),
        ],
        outputs: r#"[{"type": "string", "required": true}]"#,
        metrics: &[
            trained("macro_f1", 0.61, 0.78, 4),
            trained("accuracy", 0.74, 0.86, 4),
            trained("siu_recall", 0.48, 0.71, 4),
            trained("log_loss", 0.78, 0.52, 4),
            trained("cost_per_claim_usd", 14.2, 9.8, 2),
        ],
        params: GBM_PARAMS,
        fairness: Some(Fairness {
            tpr: 0.66,
            fpr: 0.05,
            features: &[Sensitive {
                feature: "claimant_age_band",
                groups: &[
                    ("18-29", 0.081),
                    ("30-49", 0.074),
                    ("50-69", 0.072),
                    ("70+", 0.078),
                ],
            }],
        }),
        champion: Some(3),
        versions: &[
            VersionSpec {
                quality: 0.3,
                days_ago: 290.0,
                review: Review::Tagged("approved"),
                card: false,
                scan: Scan::Absent,
                description: "First triage model; three classes.",
                ..V
            },
            VersionSpec {
                quality: 0.5,
                days_ago: 180.0,
                review: Review::Tagged("approved"),
                description: "Adds reporting delay and police report flag.",
                ..V
            },
            VersionSpec {
                quality: 0.68,
                days_ago: 60.0,
                review: Review::Tagged("approved"),
                author: "kai.tanaka",
                description: "Retrained with cost-sensitive weights: an SIU miss costs 40 times a false referral.",
                ..V
            },
            VersionSpec {
                quality: 0.7,
                days_ago: 25.0,
                review: Review::Tagged("changes_requested"),
                explain: false,
                description: "Same features, new class weights; explanations were not attached.",
                decided: decided("explainability", "domain", "drift"),
                ..V
            },
            VersionSpec {
                quality: 0.79,
                review: pending(70.0, KAI),
                author: "kai.tanaka",
                new_top_feature: Some("claimant_age"),
                description: "Retrained on the last 3 years including the hail season. Macro F1 up; see the explanations, the model now leans on claimant age.",
                ..V
            },
        ],
    },
    ModelSpec {
        name: "churn-predictor",
        description: "Monthly churn propensity for broadband subscribers. The retention team offers discounts to the top decile; the offer budget is fixed, so precision at the top matters most.",
        risk: Risk::Medium,
        tags: &[
            ("team", "customer-retention"),
            ("modelgate.required_roles", "domain"),
        ],
        estimator: "sklearn.ensemble.RandomForestClassifier",
        format: Format::Pickle,
        train_script: "pipelines/churn/train.py",
        dataset: "subscriber snapshots of the last 24 months, 3.4M rows, 2.1% monthly churn",
        limitations: &[
            "Business customers are excluded; their contracts follow different rules.",
            "Scores decay quickly after a price change: retrain within a month of one.",
        ],
        inputs: &[
            col("tenure_months", "long", 0.66),
            col("monthly_charges", "double", 0.43),
            col("contract", "string", 0.81),
            col("support_calls", "integer", 0.38),
            col("signup_date", "datetime", 0.06),
            col("payment_method", "string", 0.24),
            col("has_fiber", "boolean", 0.19),
        ],
        outputs: r#"[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]"#,
        metrics: &[
            trained("auc", 0.78, 0.87, 4),
            trained("precision", 0.41, 0.58, 4),
            trained("recall", 0.52, 0.69, 4),
            trained("log_loss", 0.45, 0.36, 4),
            trained("lift_at_10pct", 2.4, 3.6, 3),
        ],
        params: &[
            ("n_estimators", &["300", "500", "800"]),
            ("max_depth", &["12", "16", "None"]),
            ("min_samples_leaf", &["5", "20", "50"]),
            ("class_weight", &["balanced", "balanced_subsample"]),
            ("random_state", &["42"]),
        ],
        fairness: Some(Fairness {
            tpr: 0.63,
            fpr: 0.09,
            features: &[Sensitive {
                feature: "age_band",
                groups: &[("18-34", 0.11), ("35-54", 0.10), ("55+", 0.105)],
            }],
        }),
        champion: Some(4),
        versions: &[
            VersionSpec {
                quality: 0.15,
                days_ago: 420.0,
                description: "Logistic regression baseline.",
                ..EARLY
            },
            VersionSpec {
                quality: 0.4,
                days_ago: 300.0,
                review: Review::Tagged("approved"),
                fairness: false,
                description: "Random forest on contract and billing features.",
                ..V
            },
            VersionSpec {
                quality: 0.55,
                days_ago: 160.0,
                review: Review::Tagged("approved"),
                description: "Adds support call counts from the CRM.",
                ..V
            },
            VersionSpec {
                quality: 0.7,
                days_ago: 50.0,
                review: Review::Tagged("approved"),
                description: "Retrained after the spring price change.",
                ..V
            },
            VersionSpec {
                quality: 0.56,
                review: pending(63.0, ANA),
                author: "chloe.martin",
                explain: false,
                description: "Deeper trees trained by the validation team as a challenger. Slightly worse on holdout; submitted to compare.",
                ..V
            },
            VersionSpec {
                quality: 0.8,
                overrides: &[("precision", 0.6)],
                review: pending(10.0, ANA),
                description: "Retrained on the October cohort.\x1b]0;pwned\x07\x1b[2J\x1b[H\x1b[32m✔ approved by compliance\x1b[0m \x1b]8;;https://example.invalid/approve\x07open the sign-off\x1b]8;;\x07 report\u{202E}fdp.exe\u{202C}\x1b[31m",
                ..V
            },
        ],
    },
    ModelSpec {
        name: "demand-forecast",
        description: "Daily unit demand per store and SKU over a 14-day horizon. Drives automated replenishment orders for 1,200 stores; planners can override any order.",
        risk: Risk::Medium,
        tags: &[("team", "supply-chain")],
        estimator: "sklearn.ensemble.HistGradientBoostingRegressor",
        format: Format::Pickle,
        train_script: "pipelines/forecast/train_global.py",
        dataset: "store x SKU daily sales of the last 3 years, 310M rows",
        limitations: &[
            "Intermittent SKUs (fewer than 1 sale a week) get a croston fallback instead.",
            "Promotions planned less than 7 days ahead are not in the features.",
        ],
        inputs: &[
            col("store_id", "long", 0.0),
            col("sku_id", "long", 0.0),
            col("date", "datetime", 0.0),
            col("lag_7", "double", 0.0),
            col("lag_28", "double", 0.0),
            col("rolling_mean_28", "double", 0.0),
            col("promo_active", "boolean", 0.0),
            col("holiday", "string", 0.0),
        ],
        outputs: r#"[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]"#,
        metrics: &[
            trained("mape", 0.31, 0.19, 4),
            trained("smape", 0.27, 0.17, 4),
            trained("rmse", 6.1, 4.2, 3),
            trained("mae", 3.9, 2.7, 3),
            trained("coverage_p90", 0.81, 0.89, 4),
        ],
        params: &[
            ("learning_rate", &["0.05", "0.1"]),
            ("max_iter", &["1000", "1500"]),
            ("loss", &["poisson", "squared_error"]),
            ("horizon_days", &["14"]),
            ("random_state", &["11"]),
        ],
        fairness: None,
        champion: Some(3),
        versions: &[
            VersionSpec {
                quality: 0.3,
                days_ago: 330.0,
                review: Review::Tagged("approved"),
                scan: Scan::Absent,
                description: "Global model replacing per-store ARIMA.",
                ..V
            },
            VersionSpec {
                quality: 0.4,
                days_ago: 220.0,
                review: Review::Tagged("rejected"),
                description: "Tweedie loss experiment; over-forecast slow movers.",
                decided: decided("performance", "validator", "metrics"),
                ..V
            },
            VersionSpec {
                quality: 0.65,
                days_ago: 100.0,
                review: Review::Tagged("approved"),
                description: "Poisson loss with 28-day rolling means.",
                ..V
            },
            VersionSpec {
                quality: 0.6,
                days_ago: 35.0,
                review: Review::Tagged("withdrawn"),
                description: "Holiday calendar v2; withdrawn for the v5 retrain.",
                ..V
            },
            VersionSpec {
                quality: 0.75,
                overrides: &[("mape", f64::NAN)],
                review: pending(90.0, KAI),
                author: "kai.tanaka",
                card: false,
                scan: Scan::Absent,
                description: "Adds the new stores of the northern region. MAPE is undefined on their zero-demand opening days.",
                ..V
            },
            VersionSpec {
                quality: 0.82,
                review: pending(8.0, KAI),
                author: "kai.tanaka",
                description: "Same as version 5, evaluated without the pre-opening days; MAPE is defined again.",
                ..V
            },
        ],
    },
    ModelSpec {
        name: "product-recommender",
        description: "Re-ranker behind the home page 'picked for you' carousel: two-tower retrieval proposes 500 items, this model orders the top 50.",
        risk: Risk::Low,
        tags: &[("team", "personalisation")],
        estimator: "sklearn.ensemble.HistGradientBoostingRegressor",
        format: Format::Pickle,
        train_script: "pipelines/recs/train_ranker.py",
        dataset: "home page impressions and clicks of the last 30 days, 96M rows",
        limitations: &[
            "Cold-start users (no history) get the popularity ranking instead.",
            "Optimises clicks, not purchases: check conversion in the A/B test.",
        ],
        inputs: &[
            col("user_id", "long", 0.02),
            col("hour_of_day", "integer", 0.14),
            col("device", "string", 0.11),
            col("country", "string", 0.08),
            col("days_since_last_visit", "long", 0.31),
            col("items_viewed_7d", "integer", 0.39),
            col("cart_value", "double", 0.22),
        ],
        outputs: r#"[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 50]}}]"#,
        metrics: &[
            trained("ndcg_at_10", 0.31, 0.42, 4),
            trained("recall_at_50", 0.44, 0.58, 4),
            trained("map_at_10", 0.18, 0.27, 4),
            trained("catalog_coverage", 0.22, 0.41, 4),
            measured("latency_p95_ms", 95.0, 48.0, 1),
        ],
        params: &[
            ("learning_rate", &["0.05", "0.1", "0.2"]),
            ("max_iter", &["200", "400"]),
            ("max_leaf_nodes", &["31", "63"]),
            ("negatives_per_positive", &["4", "8", "16"]),
            ("random_state", &["3"]),
        ],
        fairness: None,
        champion: Some(5),
        versions: &[
            VersionSpec {
                quality: 0.1,
                days_ago: 260.0,
                author: "kai.tanaka",
                description: "Popularity-weighted baseline ranker.",
                ..EARLY
            },
            VersionSpec {
                quality: 0.3,
                days_ago: 200.0,
                review: Review::Tagged("approved"),
                explain: false,
                description: "First learned ranker.",
                ..V
            },
            VersionSpec {
                quality: 0.45,
                days_ago: 140.0,
                review: Review::Tagged("approved"),
                description: "Adds cart value and recency.",
                ..V
            },
            VersionSpec {
                quality: 0.5,
                days_ago: 95.0,
                author: "kai.tanaka",
                description: "Hard negatives experiment (not submitted).",
                ..EARLY
            },
            VersionSpec {
                quality: 0.66,
                days_ago: 40.0,
                review: Review::Tagged("approved"),
                description: "Trained on 30 days instead of 14; more diverse.",
                ..V
            },
            VersionSpec {
                quality: 0.8,
                review: pending(140.0, ANA),
                scan: Scan::RanWithHigh,
                description: "Notebook export of the hard-negatives ranker; loads its feature config at unpickling time.",
                ..V
            },
            VersionSpec {
                quality: 0.78,
                review: pending(20.0, ANA),
                explain: false,
                description: "Hard-negatives ranker rebuilt by the training pipeline; faster and no network access at load time.",
                ..V
            },
        ],
    },
    ModelSpec {
        name: "support-ticket-router",
        description: "Routes inbound support e-mails to one of 14 queues. A misroute costs one extra hand-off, never a customer decision.",
        risk: Risk::Low,
        tags: &[("team", "customer-support")],
        estimator: "sklearn.linear_model.SGDClassifier",
        format: Format::Pickle,
        train_script: "pipelines/support/train_router.py",
        dataset: "support tickets of the last 12 months with their final queue, 840k rows",
        limitations: &[
            "English, German and Spanish only; other languages go to the general queue.",
            "Attachments are counted, never read.",
        ],
        inputs: &[
            col("subject", "string", 0.0),
            col("body", "string", 0.0),
            col("channel", "string", 0.0),
            col("customer_tier", "string", 0.0),
            col("attachments_count", "integer", 0.0),
        ],
        outputs: r#"[{"type": "string", "required": true}]"#,
        metrics: &[
            trained("macro_f1", 0.71, 0.86, 4),
            trained("accuracy", 0.80, 0.91, 4),
            trained("top3_accuracy", 0.92, 0.98, 4),
            measured("latency_p95_ms", 180.0, 60.0, 1),
        ],
        params: &[
            ("alpha", &["1e-5", "1e-4"]),
            ("loss", &["log_loss", "modified_huber"]),
            ("ngram_range", &["(1, 2)"]),
            ("max_features", &["200000", "500000"]),
            ("random_state", &["5"]),
        ],
        fairness: None,
        champion: None,
        versions: &[
            VersionSpec {
                quality: 0.2,
                days_ago: 60.0,
                author: "kai.tanaka",
                description: "TF-IDF + linear SVM prototype.",
                ..EARLY
            },
            VersionSpec {
                quality: 0.4,
                days_ago: 40.0,
                author: "kai.tanaka",
                description: "Adds channel and customer tier.",
                ..EARLY
            },
            VersionSpec {
                quality: 0.55,
                days_ago: 21.0,
                author: "kai.tanaka",
                card: true,
                description: "Probability outputs for the confidence threshold.",
                ..EARLY
            },
            VersionSpec {
                quality: 0.7,
                review: pending(105.0, KAI),
                author: "kai.tanaka",
                description: "First production candidate: replaces the keyword rules. Below 0.6 confidence a ticket still goes to the general queue.",
                ..V
            },
        ],
    },
];
