"""Settings of ``eventml run monitor`` (env prefix ``EVENTML_MONITOR_``)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from monitors.canary_evaluator import CanaryConfig
from monitors.change_detector import DetectorSpec
from monitors.column_drift import DriftConfig
from monitors.pipeline import PipelineConfig
from monitors.quality_monitor import QualitySLO
from monitors.retrain_policy import RetrainConfig


class MonitorSettings(BaseSettings):
    """Consumer group, metrics endpoint and the thresholds of the monitoring stages."""

    model_config = SettingsConfigDict(env_prefix="EVENTML_MONITOR_", frozen=True, extra="ignore")

    group_id: str = "eventml-monitor"
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9103
    batch_size: int = 2000
    roc_auc_objective: float = 0.75
    quality_window: int = 5000
    quality_min_labeled: int = 500
    drift_window: int = 500
    # A check every 200 values: mean detection delay ~850-950 events on the benchmark
    # streams (every 250: ~1,060) with no false alarm in 400,000 stationary values.
    drift_step: int = 200
    # River detector on each value's rank in the reference sample: adwin, kswin,
    # page_hinkley or none; its parameters as JSON, e.g. '{"delta": 0.001}'.
    drift_detector: str = "adwin"
    drift_detector_params: dict[str, float] = {"delta": 1e-3}
    drift_psi_threshold: float = 0.2
    drift_alpha: float = 1e-4
    drift_min_effect: float = 0.05
    drift_exclude: tuple[str, ...] = ("hour_of_day", "txn_count_today")
    canary_min_per_arm: int = 2000
    canary_max_per_arm: int = 20000
    canary_look_every: int = 1000
    canary_margin: float = 0.05
    retrain_cooldown_ms: int = 6 * 3_600_000
    retrain_max_per_day: int = 2
    retrain_min_signals: int = 2
    retrain_persist_ms: int = 0
    retrain_signal_window_ms: int = 3_600_000
    auto_promote: bool = True
    # At start, read back this many records before the committed offset of each partition
    # of the predictions and labels topics to rebuild the label join's waiting entries
    # (0: start with an empty join, losing the pairs a restart interrupted).
    join_rebuild_records: int = 50_000
    join_rebuild_timeout_s: float = 60.0

    def pipeline_config(self, model_name: str) -> PipelineConfig:
        """The pure pipeline's configuration from these settings."""
        return PipelineConfig(
            model_name=model_name,
            drift=DriftConfig(
                min_effect=self.drift_min_effect,
                window_size=self.drift_window,
                step=self.drift_step,
                psi_threshold=self.drift_psi_threshold,
                alpha=self.drift_alpha,
                detector=(
                    None
                    if self.drift_detector == "none"
                    else DetectorSpec(self.drift_detector, self.drift_detector_params)
                ),
                min_samples=self.drift_window,
            ),
            drift_exclude=self.drift_exclude,
            slos=(QualitySLO("roc_auc", self.roc_auc_objective, self.quality_min_labeled),),
            quality_window=self.quality_window,
            retrain=RetrainConfig(
                min_labeled=self.quality_min_labeled,
                min_signals=self.retrain_min_signals,
                persist_ms=self.retrain_persist_ms,
                signal_window_ms=self.retrain_signal_window_ms,
                cooldown_ms=self.retrain_cooldown_ms,
                max_per_day=self.retrain_max_per_day,
            ),
            canary=CanaryConfig(
                min_per_arm=self.canary_min_per_arm,
                max_per_arm=self.canary_max_per_arm,
                look_every=self.canary_look_every,
                margin=self.canary_margin,
            ),
        )
