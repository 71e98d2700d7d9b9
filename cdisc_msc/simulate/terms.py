"""Small built-in dictionaries for the simulator: plausible MedDRA-like AE
terms (French verbatims), medications, medical history. Codes are 8-digit
MedDRA-like numbers, consistent within this table (one code per name at every
level); they are synthetic test data, not a licensed dictionary extract.
"""
from __future__ import annotations

# SOC name -> code
SOC = {
    "Infections and infestations": 10021881,
    "Nervous system disorders": 10029205,
    "General disorders and administration site conditions": 10018065,
    "Gastrointestinal disorders": 10017947,
    "Skin and subcutaneous tissue disorders": 10040785,
    "Musculoskeletal and connective tissue disorders": 10028395,
    "Blood and lymphatic system disorders": 10005329,
    "Respiratory, thoracic and mediastinal disorders": 10038738,
    "Vascular disorders": 10047065,
    "Psychiatric disorders": 10037175,
    "Injury, poisoning and procedural complications": 10022117,
}

# HLGT name -> (code, SOC)
HLGT = {
    "Infections - pathogen unspecified": (10021879, "Infections and infestations"),
    "Viral infectious disorders": (10047438, "Infections and infestations"),
    "Headaches": (10019231, "Nervous system disorders"),
    "Neurological disorders NEC": (10029305, "Nervous system disorders"),
    "Body temperature conditions": (10005908, "General disorders and administration site conditions"),
    "General system disorders NEC": (10018073, "General disorders and administration site conditions"),
    "Gastrointestinal signs and symptoms": (10018012, "Gastrointestinal disorders"),
    "Epidermal and dermal conditions": (10014982, "Skin and subcutaneous tissue disorders"),
    "Joint disorders": (10023213, "Musculoskeletal and connective tissue disorders"),
    "Connective tissue disorders (excl congenital)": (10010766, "Musculoskeletal and connective tissue disorders"),
    "White blood cell disorders": (10047954, "Blood and lymphatic system disorders"),
    "Anaemias nonhaemolytic and marrow depression": (10002086, "Blood and lymphatic system disorders"),
    "Respiratory disorders NEC": (10038716, "Respiratory, thoracic and mediastinal disorders"),
    "Vascular hypertensive disorders": (10047086, "Vascular disorders"),
    "Anxiety disorders and symptoms": (10002861, "Psychiatric disorders"),
    "Procedural related injuries and complications NEC": (10069888, "Injury, poisoning and procedural complications"),
}

# HLT name -> (code, HLGT)
HLT = {
    "Upper respiratory tract infections": (10046309, "Infections - pathogen unspecified"),
    "Urinary tract infections": (10046577, "Infections - pathogen unspecified"),
    "Lower respiratory tract and lung infections": (10024970, "Infections - pathogen unspecified"),
    "Sepsis, bacteraemia, viraemia and fungaemia NEC": (10040049, "Infections - pathogen unspecified"),
    "Herpes viral infections": (10019973, "Viral infectious disorders"),
    "Coronavirus infectious": (10084264, "Viral infectious disorders"),
    "Headaches NEC": (10019233, "Headaches"),
    "Neurological signs and symptoms NEC": (10029299, "Neurological disorders NEC"),
    "Febrile disorders": (10016286, "Body temperature conditions"),
    "Feelings and sensations NEC": (10016334, "Body temperature conditions"),
    "Asthenic conditions": (10003550, "General system disorders NEC"),
    "Oedema NEC": (10030113, "General system disorders NEC"),
    "Nausea and vomiting symptoms": (10028817, "Gastrointestinal signs and symptoms"),
    "Diarrhoea (excl infective)": (10012736, "Gastrointestinal signs and symptoms"),
    "Gastrointestinal and abdominal pains (excl oral and throat)": (10017926, "Gastrointestinal signs and symptoms"),
    "Rashes, eruptions and exanthems NEC": (10037868, "Epidermal and dermal conditions"),
    "Joint related signs and symptoms": (10023226, "Joint disorders"),
    "Lupus erythematosus and associated conditions": (10025136, "Connective tissue disorders (excl congenital)"),
    "Lymphocytic disorders": (10025322, "White blood cell disorders"),
    "Neutropenias": (10029366, "White blood cell disorders"),
    "Anaemias NEC": (10002042, "Anaemias nonhaemolytic and marrow depression"),
    "Coughing and associated symptoms": (10011232, "Respiratory disorders NEC"),
    "Vascular hypertensive disorders NEC": (10047074, "Vascular hypertensive disorders"),
    "Anxiety symptoms": (10002869, "Anxiety disorders and symptoms"),
    "Infusion related reactions": (10068757, "Procedural related injuries and complications NEC"),
}

# PT name -> (code, HLT)
PT = {
    "Nasopharyngitis": (10028810, "Upper respiratory tract infections"),
    "Urinary tract infection": (10046571, "Urinary tract infections"),
    "Pneumonia": (10035664, "Lower respiratory tract and lung infections"),
    "Bronchitis": (10006451, "Lower respiratory tract and lung infections"),
    "Septic shock": (10040070, "Sepsis, bacteraemia, viraemia and fungaemia NEC"),
    "Herpes zoster": (10019974, "Herpes viral infections"),
    "COVID-19": (10084268, "Coronavirus infectious"),
    "Headache": (10019211, "Headaches NEC"),
    "Dizziness": (10013573, "Neurological signs and symptoms NEC"),
    "Pyrexia": (10037660, "Febrile disorders"),
    "Chills": (10008531, "Feelings and sensations NEC"),
    "Fatigue": (10016256, "Asthenic conditions"),
    "Oedema peripheral": (10030124, "Oedema NEC"),
    "Nausea": (10028813, "Nausea and vomiting symptoms"),
    "Vomiting": (10047700, "Nausea and vomiting symptoms"),
    "Diarrhoea": (10012735, "Diarrhoea (excl infective)"),
    "Abdominal pain": (10000081, "Gastrointestinal and abdominal pains (excl oral and throat)"),
    "Rash": (10037844, "Rashes, eruptions and exanthems NEC"),
    "Arthralgia": (10003239, "Joint related signs and symptoms"),
    "Systemic lupus erythematosus": (10042945, "Lupus erythematosus and associated conditions"),
    "Lymphopenia": (10025327, "Lymphocytic disorders"),
    "Neutropenia": (10029354, "Neutropenias"),
    "Anaemia": (10002034, "Anaemias NEC"),
    "Cough": (10011224, "Coughing and associated symptoms"),
    "Hypertension": (10020772, "Vascular hypertensive disorders NEC"),
    "Anxiety": (10002855, "Anxiety symptoms"),
    "Infusion related reaction": (10051792, "Infusion related reactions"),
}

# AE terms: (verbatim variants, LLT, LLT code, PT, weight in follow-up, severity class)
# severity class: "mild" (grades mostly 1-2) or "severe" (grades mostly 2-4)
AE_TERMS: list[tuple[tuple[str, ...], str, int, str, float, str]] = [
    (("Rhinopharyngite", "rhinopharyngite", "Rhume"), "Nasopharyngitis", 10028810, "Nasopharyngitis", 10, "mild"),
    (("Infection urinaire", "Cystite"), "Urinary tract infection", 10046571, "Urinary tract infection", 7, "mild"),
    (("Pneumopathie", "Pneumopathie infectieuse"), "Pneumonia", 10035664, "Pneumonia", 2, "severe"),
    (("Bronchite",), "Bronchitis", 10006451, "Bronchitis", 4, "mild"),
    (("Zona", "Zona thoracique"), "Shingles", 10040560, "Herpes zoster", 2, "severe"),
    (("COVID-19", "Infection à SARS-CoV-2"), "COVID-19", 10084268, "COVID-19", 3, "mild"),
    (("Céphalées", "Maux de tête", "Cephalees"), "Headache", 10019211, "Headache", 8, "mild"),
    (("Vertiges",), "Dizziness", 10013573, "Dizziness", 3, "mild"),
    (("Fièvre", "Fièvre à 38,5°C"), "Fever", 10016558, "Pyrexia", 4, "mild"),
    (("Frissons",), "Chills", 10008531, "Chills", 1, "mild"),
    (("Asthénie", "Fatigue"), "Fatigue", 10016256, "Fatigue", 6, "mild"),
    (("Œdème des membres inférieurs", "Oedèmes des chevilles"), "Oedema lower limb", 10030130, "Oedema peripheral", 2, "mild"),
    (("Nausées",), "Nausea", 10028813, "Nausea", 5, "mild"),
    (("Vomissements",), "Vomiting", 10047700, "Vomiting", 2, "mild"),
    (("Diarrhée",), "Diarrhoea", 10012735, "Diarrhoea", 4, "mild"),
    (("Douleur abdominale", "Douleurs abdominales"), "Abdominal pain", 10000081, "Abdominal pain", 3, "mild"),
    (("Éruption cutanée", "Eruption cutanée"), "Skin rash", 10040914, "Rash", 4, "mild"),
    (("Arthralgies", "Douleurs articulaires"), "Arthralgia", 10003239, "Arthralgia", 6, "mild"),
    (("Poussée lupique", "Poussée de lupus"), "Lupus flare", 10058219, "Systemic lupus erythematosus", 4, "severe"),
    (("Lymphopénie",), "Lymphopenia", 10025327, "Lymphopenia", 3, "severe"),
    (("Neutropénie",), "Neutropenia", 10029354, "Neutropenia", 1, "severe"),
    (("Anémie",), "Anaemia", 10002034, "Anaemia", 2, "mild"),
    (("Toux",), "Cough", 10011224, "Cough", 3, "mild"),
    (("Hypertension artérielle", "HTA"), "Hypertension", 10020772, "Hypertension", 2, "mild"),
    (("Anxiété",), "Anxiety", 10002855, "Anxiety", 1, "mild"),
    (("Réaction à la perfusion",), "Infusion related reaction", 10051792, "Infusion related reaction", 0, "mild"),
    (("Choc septique",), "Septic shock", 10040070, "Septic shock", 0, "severe"),
]

AE_ACUTE = ("Fièvre", "Céphalées", "Frissons", "Réaction à la perfusion", "Nausées")
"""Verbatims (first variant) of AEs typical of the infusion day."""
AE_PRE = ("Anxiété", "Céphalées", "Rhinopharyngite")
"""Verbatims of AEs on the day before the infusion (or the infusion day before it starts)."""
AE_DEATH = "Choc septique"
AE_DISCONTINUATION = "Poussée lupique"
INFECTION_SOC = "Infections and infestations"


def meddra_row(term_index: int) -> dict[str, object]:
    """The full coding of ``AE_TERMS[term_index]``."""
    _, llt, lltcd, pt, _, _ = AE_TERMS[term_index]
    ptcd, hlt = PT[pt]
    hltcd, hlgt = HLT[hlt]
    hlgtcd, soc = HLGT[hlgt]
    return {"AELLT": llt, "AELLTCD": lltcd, "AEDECOD": pt, "AEPTCD": ptcd, "AEHLT": hlt, "AEHLTCD": hltcd,
            "AEHLGT": hlgt, "AEHLGTCD": hlgtcd, "AESOC": soc, "AESOCCD": SOC[soc]}


def term_index(verbatim: str) -> int:
    for i, t in enumerate(AE_TERMS):
        if verbatim in t[0]:
            return i
    raise KeyError(verbatim)


# Concomitant medications (not glucocorticoids):
# key -> (CMTRT verbatim, CMDECOD, CMCLAS, dose, unit, freq, route, indication)
CM_TERMS: dict[str, tuple[str, str, str, str, str, str, str, str]] = {
    "HCQ": ("Plaquenil", "HYDROXYCHLOROQUINE SULFATE", "ANTIMALARIALS", "400", "mg", "QD", "ORAL", "Lupus"),
    "MMF": ("Cellcept", "MYCOPHENOLATE MOFETIL", "IMMUNOSUPPRESSANTS", "1000", "mg", "BID", "ORAL", "Lupus"),
    "AZA": ("Imurel", "AZATHIOPRINE", "IMMUNOSUPPRESSANTS", "100", "mg", "QD", "ORAL", "Lupus"),
    "MTX": ("Méthotrexate", "METHOTREXATE", "IMMUNOSUPPRESSANTS", "15", "mg", "EVERY WEEK", "ORAL", "Arthrite lupique"),
    "RTX": ("Mabthera", "RITUXIMAB", "MONOCLONAL ANTIBODIES", "1000", "mg", "ONCE", "INTRAVENOUS", "Lupus réfractaire"),
    "BEL": ("Benlysta", "BELIMUMAB", "IMMUNOSUPPRESSANTS", "10", "mg/kg", "EVERY 4 WEEKS", "INTRAVENOUS", "Lupus"),
    "CAD": ("Cacit vitamine D3", "CALCIUM CARBONATE;COLECALCIFEROL", "CALCIUM, COMBINATIONS WITH VITAMIN D",
            "1", "g", "QD", "ORAL", "Prévention ostéoporose cortisonique"),
    "PPI": ("Oméprazole", "OMEPRAZOLE", "PROTON PUMP INHIBITORS", "20", "mg", "QD", "ORAL", "Protection gastrique"),
    "AML": ("Amlodipine", "AMLODIPINE", "DIHYDROPYRIDINE DERIVATIVES", "5", "mg", "QD", "ORAL", "HTA"),
    "RAM": ("Ramipril", "RAMIPRIL", "ACE INHIBITORS, PLAIN", "5", "mg", "QD", "ORAL", "Néphropathie lupique"),
    "ATO": ("Atorvastatine", "ATORVASTATIN", "HMG COA REDUCTASE INHIBITORS", "20", "mg", "QD", "ORAL", "Dyslipidémie"),
    "PAR": ("Doliprane", "PARACETAMOL", "ANILIDES", "1000", "mg", "PRN", "ORAL", "Douleurs"),
    "AMX": ("Amoxicilline", "AMOXICILLIN", "PENICILLINS WITH EXTENDED SPECTRUM", "1000", "mg", "TID", "ORAL", "Infection"),
    "DEX": ("Polaramine", "DEXCHLORPHENIRAMINE MALEATE", "AMINOALKYL ETHERS", "5", "mg", "ONCE", "INTRAVENOUS",
            "Prémédication perfusion"),
    "VAL": ("Valaciclovir", "VALACICLOVIR", "NUCLEOSIDES AND NUCLEOTIDES EXCL. REVERSE TRANSCRIPTASE INHIBITORS",
            "1000", "mg", "TID", "ORAL", "Zona"),
}

# Medical history: key -> (MHTERM, MHDECOD, MHBODSYS, MHCAT)
MH_TERMS: dict[str, tuple[str, str, str, str]] = {
    "SLE": ("Lupus érythémateux disséminé", "Systemic lupus erythematosus",
            "Musculoskeletal and connective tissue disorders", "SLE HISTORY"),
    "LN": ("Néphrite lupique classe IV", "Lupus nephritis", "Renal and urinary disorders", "SLE HISTORY"),
    "APS": ("Syndrome des antiphospholipides", "Antiphospholipid syndrome", "Immune system disorders",
            "SLE HISTORY"),
    "PER": ("Péricardite lupique", "Pericarditis lupus", "Cardiac disorders", "SLE HISTORY"),
    "APP": ("Appendicectomie", "Appendicectomy", "Surgical and medical procedures", "GENERAL MEDICAL HISTORY"),
    "HYPO": ("Hypothyroïdie", "Hypothyroidism", "Endocrine disorders", "GENERAL MEDICAL HISTORY"),
    "ASTH": ("Asthme", "Asthma", "Respiratory, thoracic and mediastinal disorders", "GENERAL MEDICAL HISTORY"),
    "MIG": ("Migraine", "Migraine", "Nervous system disorders", "GENERAL MEDICAL HISTORY"),
    "FRAC": ("Fracture du poignet gauche", "Wrist fracture", "Injury, poisoning and procedural complications",
             "GENERAL MEDICAL HISTORY"),
    "ZONA": ("Zona intercostal", "Herpes zoster", "Infections and infestations", "GENERAL MEDICAL HISTORY"),
}

# Comorbidity checklist prevalence at screening (by the config's term; others default 5%)
COMO_PREVALENCE = {
    "HYPERTENSION": 0.30, "DIABETES MELLITUS": 0.07, "DYSLIPIDAEMIA": 0.20, "OSTEOPOROSIS": 0.15,
    "AVASCULAR NECROSIS": 0.05, "CARDIOVASCULAR DISEASE": 0.05, "CHRONIC KIDNEY DISEASE": 0.10,
    "SERIOUS INFECTION": 0.05, "MALIGNANCY": 0.01, "DEPRESSION": 0.15,
}
COMO_EPISODIC = ("SERIOUS INFECTION",)
"""Checklist items that come and go (others persist once present)."""

GC_DRUGS = {
    # GCDECOD -> (verbatim variants, oral dose choices mg)
    "PREDNISONE": (("Cortancyl", "Prednisone"), (5.0, 7.5, 10.0, 12.5, 15.0, 20.0, 25.0, 30.0)),
    "PREDNISOLONE": (("Solupred", "Prednisolone"), (5.0, 10.0, 15.0, 20.0)),
    "METHYLPREDNISOLONE": (("Médrol",), (4.0, 8.0, 12.0, 16.0)),
}
PULSE_VERBATIM = "Solumédrol"
