//! What the dedup property tests share: the test policy (the core's index unit tests read the
//! same file) and the colliding names and phones their books are made of.

use crmkit::dedup::MatchPolicy;
use proptest::prelude::*;

/// Company name and phone; DUPLICATE on the same company or phone, RELATED on the same group.
pub fn policy() -> MatchPolicy {
    crmkit::wire::from_json(include_str!("../../../core/src/dedup/test_policy.json"), "").expect("policy")
}

/// Names that collide often: two regions or none, homophone and doubled-character 字号, a
/// sibling entity, a region in brackets, a branch, a short name.
pub fn company() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["北京", "上海", ""]),
        prop::sample::select(vec!["字节跳动", "字节跳跳动", "仁科互动", "人科互动", "小米"]),
        prop::sample::select(vec![
            "科技有限公司",
            "网络技术有限公司",
            "（北京）科技有限公司",
            "科技有限公司上海分公司",
            "",
        ]),
    )
        .prop_map(|(r, b, t)| format!("{r}{b}{t}"))
}

/// Phones that collide often, or none, or one that cannot be read.
pub fn phone() -> impl Strategy<Value = Option<&'static str>> {
    prop::option::of(prop::sample::select(vec!["13800000001", "13800000002", "010-62345678", "bad"]))
}
