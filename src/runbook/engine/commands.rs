//! What the operator (or the driver on their behalf) tells a run: go ahead, a step's result,
//! a confirmation, retry, skip, abort, a note.

use chrono::{DateTime, Utc};

use super::*;

impl Run {
    /// The operator's go-ahead for the current pending step.
    pub fn approve(&mut self, i: usize) -> Result<(), EngineError> {
        let step = self.current_step(i)?;
        if step.status != StepStatus::Pending {
            return Err(EngineError::Wrong {
                step: i,
                status: step.status,
                what: "only a pending step waits for a go-ahead",
            });
        }
        self.state.steps[i].status = StepStatus::Approved;
        Ok(())
    }

    /// How a try of step `i` ended. A report for a step that is not running (it timed out
    /// meanwhile, or was skipped) is ignored and says so.
    pub fn report(
        &mut self,
        i: usize,
        result: StepResult,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let step = self.current_step(i)?;
        if step.status != StepStatus::Running {
            return Err(EngineError::Wrong {
                step: i,
                status: step.status,
                what: "no try of it is under way",
            });
        }
        if matches!(self.policies[i].mode, Mode::Execute)
            && let Some(d) = step.deadline
            && now >= d
        {
            let t = self.policies[i].timeout.unwrap_or_default();
            let detail = format!("timed out after {}", humantime::format_duration(t));
            self.tried(i, false, detail, result.output, now);
            return Ok(());
        }
        self.tried(i, result.passed, result.detail, result.output, now);
        Ok(())
    }

    /// The operator did manual step `i`; `note` is what they typed.
    pub fn confirm(
        &mut self,
        i: usize,
        note: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let step = self.current_step(i)?;
        let Mode::Manual { note: wants_note } = self.policies[i].mode else {
            return Err(EngineError::Wrong {
                step: i,
                status: step.status,
                what: "only a manual step is confirmed",
            });
        };
        let note = note.filter(|n| !n.trim().is_empty());
        if wants_note && note.is_none() {
            return Err(EngineError::NoteRequired);
        }
        if let Some(n) = &note {
            self.events.push(Event::Note {
                step: Some(i),
                text: n.clone(),
            });
        }
        self.state.steps[i].note = note;
        self.end(i, Outcome::Passed, "confirmed".into(), now);
        Ok(())
    }

    /// Try failed step `i` again (its go-ahead stands).
    pub fn retry(&mut self, i: usize) -> Result<(), EngineError> {
        let step = self.current_step(i)?;
        if step.status != StepStatus::Failed {
            return Err(EngineError::Wrong {
                step: i,
                status: step.status,
                what: "only a failed step is retried",
            });
        }
        let step = &mut self.state.steps[i];
        step.status = StepStatus::Approved;
        step.ended_at = None;
        if let Mode::Manual { .. } = self.policies[i].mode {
            step.started_at = None;
        }
        Ok(())
    }

    /// Move past the current step without doing it; the reason goes in the timeline.
    pub fn skip(&mut self, i: usize, reason: &str, now: DateTime<Utc>) -> Result<(), EngineError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(EngineError::NoReason);
        }
        let step = self.current_step(i)?;
        let busy =
            step.status == StepStatus::Running && matches!(self.policies[i].mode, Mode::Execute);
        if busy {
            return Err(EngineError::Wrong {
                step: i,
                status: step.status,
                what: "wait for the try under way to end (or abort)",
            });
        }
        if step.started_at.is_none() {
            self.state.steps[i].started_at = Some(now);
        }
        self.end(i, Outcome::Skipped, reason.to_owned(), now);
        Ok(())
    }

    /// Stop the run here. A try under way is recorded as failed ("aborted").
    pub fn abort(&mut self, reason: &str, now: DateTime<Utc>) -> Result<(), EngineError> {
        if self.state.status != RunStatus::Running {
            return Err(EngineError::Ended);
        }
        if let Some(i) = self.current()
            && matches!(
                self.state.steps[i].status,
                StepStatus::Running | StepStatus::Waiting
            )
        {
            self.end(i, Outcome::Failed, format!("aborted: {reason}"), now);
        }
        let status = RunStatus::Aborted {
            reason: reason.to_owned(),
        };
        self.state.status = status.clone();
        self.state.ended_at = Some(now);
        self.events.push(Event::RunEnded {
            status,
            duration: since(Some(self.state.started_at), now),
        });
        Ok(())
    }

    /// A note in the run's timeline (`:note TEXT`), about the current step if there is one.
    pub fn note(&mut self, text: &str, now: DateTime<Utc>) {
        self.state.notes.push(Note {
            at: now,
            text: text.to_owned(),
        });
        self.events.push(Event::Note {
            step: self.current(),
            text: text.to_owned(),
        });
    }
}
