//! The shared parts catalogue (`repuestos`). Duplicate references merge: a part created
//! offline whose reference another part already has becomes that part (the outcome names the
//! survivor; later mutations that use the new id act on it).

use super::ledger::details;
use crate::args::{FieldEdit, PartCreate, PartDiscontinue};
use crate::rechazo::{Rechazo, RejectionCode};
use crate::text::{clean, normalize_reference};
use serde_json::{json, Map, Value};
use uuid::Uuid;

/// What `part.create` needs to know of the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateFacts {
    /// A part has this id, or an earlier creation with it was merged into another part.
    pub id_taken: bool,
    /// The part that already has the (normalised) reference.
    pub survivor: Option<Uuid>,
}

/// A new part's columns, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPart {
    pub referencia: String,
    pub nombre: String,
    pub tipo: Option<String>,
    pub marca: Option<String>,
    pub descripcion: Option<String>,
    pub url_imagen: Option<String>,
}

/// What `part.create` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreatePlan {
    /// A new row.
    Insert(NewPart),
    /// The reference is another part's: the new id becomes an alias of the survivor, and its
    /// author reviews the merge.
    Merge { survivor: Uuid, referencia: String },
}

/// `part.create`, given its reference and name as checked and normalised
/// (`taller_protocol::validate::part_create`): a free id, then a merge when the reference is
/// taken.
pub fn create(
    args: &PartCreate,
    referencia: String,
    nombre: String,
    facts: &CreateFacts,
) -> Result<CreatePlan, Rechazo> {
    super::id_free(facts.id_taken, "repuesto", args.id_repuesto)?;
    if let Some(survivor) = facts.survivor {
        return Ok(CreatePlan::Merge { survivor, referencia });
    }
    Ok(CreatePlan::Insert(NewPart {
        referencia,
        nombre,
        tipo: clean(args.tipo.as_deref()),
        marca: clean(args.marca.as_deref()),
        descripcion: clean(args.descripcion.as_deref()),
        url_imagen: clean(args.url_imagen.as_deref()),
    }))
}

impl CreatePlan {
    /// What `part.create` answers: the part's id, and for a merge the survivor and the id that
    /// merged into it.
    pub fn result(&self, args: &PartCreate) -> Map<String, Value> {
        match self {
            CreatePlan::Insert(_) => details(json!({"id_repuesto": args.id_repuesto, "merged": false})),
            CreatePlan::Merge { survivor, .. } => details(json!({"id_repuesto": survivor, "merged": true,
                                                                 "merged_into": survivor,
                                                                 "merged_from": args.id_repuesto})),
        }
    }
}

/// The edits of `part.edit` as they apply: a new reference normalised like a new part's.
pub fn normalise_edits(edits: &[FieldEdit]) -> Vec<FieldEdit> {
    let mut edits = edits.to_vec();
    for edit in &mut edits {
        if edit.field == "referencia" {
            if let Value::String(text) = &edit.new {
                edit.new = Value::String(normalize_reference(text));
            }
        }
    }
    edits
}

/// The references the (normalised) edits want, in order: the facts `part.edit` needs are
/// which of them another part has.
pub fn wanted_references(edits: &[FieldEdit]) -> Vec<String> {
    edits
        .iter()
        .filter(|edit| edit.field == "referencia")
        .map(|edit| edit.new.as_str().unwrap_or_default().to_owned())
        .collect()
}

/// `part.edit`, before the edits are decided like every field edit: a reference another part
/// has is refused (`taken_by_other`, one answer per [`wanted_references`]).
pub fn check_references(edits: &[FieldEdit], taken_by_other: &[bool]) -> Result<(), Rechazo> {
    let references = edits.iter().filter(|edit| edit.field == "referencia");
    for (edit, taken) in references.zip(taken_by_other) {
        if *taken {
            return Err(Rechazo::new(RejectionCode::DuplicateReference).with("referencia", edit.new.clone()));
        }
    }
    Ok(())
}

/// What `part.edit` answers.
pub fn edit_result(id_repuesto: Uuid) -> Map<String, Value> {
    details(json!({"id_repuesto": id_repuesto}))
}

/// What `part.discontinue` answers.
pub fn discontinue_result(id_repuesto: Uuid, args: &PartDiscontinue) -> Map<String, Value> {
    details(json!({"id_repuesto": id_repuesto, "descontinuado": args.descontinuado}))
}

#[cfg(test)]
mod tests {
    use super::*;

    const P1: Uuid = Uuid::from_u128(0x3001);
    const NEW: Uuid = Uuid::from_u128(0x3099);

    fn new_part() -> PartCreate {
        PartCreate {
            id_repuesto: NEW,
            referencia: " mtr-500w ".into(),
            nombre: " Motor ".into(),
            tipo: Some(" Motor ".into()),
            marca: Some("  ".into()),
            descripcion: None,
            fecha_estimada: None,
            url_imagen: None,
        }
    }

    #[test]
    fn a_new_reference_is_inserted_and_a_known_one_merges() {
        let args = new_part();
        let free = CreateFacts { id_taken: false, survivor: None };
        let plan = create(&args, "MTR-500W".into(), "Motor".into(), &free).expect("inserts");
        let CreatePlan::Insert(part) = &plan else { panic!("{plan:?}") };
        assert_eq!((part.tipo.as_deref(), part.marca.as_deref()), (Some("Motor"), None));
        assert_eq!(plan.result(&args), details(json!({"id_repuesto": NEW, "merged": false})));
        let known = CreateFacts { id_taken: false, survivor: Some(P1) };
        let merge = create(&args, "MTR-500W".into(), "Motor".into(), &known).expect("merges");
        assert_eq!(merge, CreatePlan::Merge { survivor: P1, referencia: "MTR-500W".into() });
        assert_eq!(
            merge.result(&args),
            details(json!({"id_repuesto": P1, "merged": true, "merged_into": P1, "merged_from": NEW}))
        );
        let taken = create(&args, "MTR-500W".into(), "Motor".into(), &CreateFacts { id_taken: true, ..known }).err();
        assert_eq!(taken, Some(Rechazo::already_exists("repuesto", NEW)), "the id before the merge");
    }

    #[test]
    fn an_edited_reference_is_normalised_and_must_be_free() {
        let edits = normalise_edits(&[
            FieldEdit { field: "nombre".into(), old: json!("a"), new: json!("b") },
            FieldEdit { field: "referencia".into(), old: json!("X"), new: json!(" bat-48v ") },
        ]);
        assert_eq!(edits[1].new, json!("BAT-48V"));
        assert_eq!(edits[0].new, json!("b"), "other fields as given");
        assert_eq!(wanted_references(&edits), ["BAT-48V"]);
        assert_eq!(check_references(&edits, &[false]), Ok(()));
        let refused = check_references(&edits, &[true]).err();
        assert_eq!(refused, Some(Rechazo::new(RejectionCode::DuplicateReference).with("referencia", "BAT-48V")));
        assert_eq!(
            discontinue_result(P1, &PartDiscontinue { id_repuesto: NEW, descontinuado: false })["id_repuesto"],
            json!(P1)
        );
    }
}
