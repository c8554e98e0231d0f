//! What a check sees (the object, the inventory, the settings) and where it reports.

use palisade_model::workload::{PodSpecLocator, PodTemplate};
use palisade_model::{FieldPath, Inventory, Object};
use palisade_pss::{Level, LevelVersion, PodView, Version};

use crate::finding::{AdmissionDetail, Finding, Location, PssFinding, Related};
use crate::rule::RuleMeta;

/// Evaluation settings that change what rules report.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The Pod Security Standards level and version the PSS rules hold workloads to.
    pub pss: LevelVersion,
    /// Where pod templates live (built-in kinds plus configured custom kinds).
    pub locator: PodSpecLocator,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            pss: LevelVersion::new(Level::Restricted, Version::Latest),
            locator: PodSpecLocator::builtin().clone(),
        }
    }
}

/// What an object rule sees.
pub struct ObjectCtx<'a> {
    pub object: &'a Object,
    pub inventory: &'a Inventory,
    pub settings: &'a Settings,
    /// The pod template, found once per object however many rules ask.
    template: std::cell::OnceCell<Option<PodTemplate<'a>>>,
    pod: std::cell::OnceCell<Option<PodView<'a>>>,
}

impl<'a> ObjectCtx<'a> {
    pub fn new(object: &'a Object, inventory: &'a Inventory, settings: &'a Settings) -> Self {
        ObjectCtx {
            object,
            inventory,
            settings,
            template: std::cell::OnceCell::new(),
            pod: std::cell::OnceCell::new(),
        }
    }

    /// The pod template as the Pod Security checks read it, built once per object.
    pub fn pod_view(&self) -> Option<&PodView<'a>> {
        self.pod
            .get_or_init(|| self.pod_template().map(PodView::new))
            .as_ref()
    }

    /// The object's pod template, if it is a workload.
    pub fn pod_template(&self) -> Option<PodTemplate<'a>> {
        *self
            .template
            .get_or_init(|| self.settings.locator.pod_template(self.object))
    }
}

/// What an inventory rule sees.
pub struct InventoryCtx<'a> {
    pub inventory: &'a Inventory,
    pub settings: &'a Settings,
}

/// Collects the findings of one rule run. Locations are resolved here, so rules only ever
/// name field paths.
pub struct Sink {
    rule: &'static RuleMeta,
    pub(crate) findings: Vec<Finding>,
}

impl Sink {
    pub(crate) fn new(rule: &'static RuleMeta) -> Self {
        Sink {
            rule,
            findings: Vec::new(),
        }
    }

    /// Reports `message` about `path` of `object` (the nearest existing parent is located
    /// when the field is absent).
    pub fn report(
        &mut self,
        object: &Object,
        path: FieldPath,
        message: impl Into<String>,
    ) -> &mut Finding {
        let location = Location::of(object, path);
        self.findings.push(Finding {
            rule: self.rule,
            severity: self.rule.severity,
            message: message.into(),
            object: object.id.clone(),
            location,
            related: Vec::new(),
            pss: None,
            admission: None,
        });
        self.findings.last_mut().expect("just pushed")
    }
}

impl Finding {
    /// Adds secondary locations (other offending fields of the same object).
    pub fn with_related(
        &mut self,
        object: &Object,
        paths: impl IntoIterator<Item = FieldPath>,
        message: impl Into<std::borrow::Cow<'static, str>>,
    ) -> &mut Self {
        let message = message.into();
        for path in paths {
            let location = Location::of(object, path);
            self.related.push(Related {
                location,
                message: message.clone(),
            });
        }
        self
    }

    pub fn with_pss(&mut self, pss: PssFinding) -> &mut Self {
        self.pss = Some(pss);
        self
    }

    pub fn with_admission(&mut self, admission: AdmissionDetail) -> &mut Self {
        self.admission = Some(admission);
        self
    }
}
