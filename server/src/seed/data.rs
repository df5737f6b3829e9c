//! The demo's fixed tables: organisations, names, connection kinds,
//! assignment templates and run errors.

pub(super) struct OrgSpec {
    pub name: &'static str,
    pub domain: &'static str,
    pub policy: &'static str,
    pub tz: &'static str,
}

pub(super) const FIXED_ORGS: [OrgSpec; 5] = [
    OrgSpec {
        name: "Duvo",
        domain: "duvo.example",
        policy: "notify",
        tz: "Europe/Stockholm",
    },
    OrgSpec {
        name: "Northwind Partners",
        domain: "northwind.example",
        policy: "silent",
        tz: "Europe/Berlin",
    },
    OrgSpec {
        name: "Acme Logistics",
        domain: "acme.example",
        policy: "notify",
        tz: "Europe/Prague",
    },
    OrgSpec {
        name: "Globex Retail",
        domain: "globex.example",
        policy: "silent",
        tz: "America/New_York",
    },
    OrgSpec {
        name: "Initech",
        domain: "initech.example",
        policy: "notify",
        tz: "Asia/Singapore",
    },
];
pub(super) const ORG_DUVO: i64 = 1;
pub(super) const ORG_NORTHWIND: i64 = 2;
pub(super) const ORG_ACME: i64 = 3;
pub(super) const ORG_GLOBEX: i64 = 4;
pub(super) const ORG_INITECH: i64 = 5;

pub(super) const MORE_ORGS: [OrgSpec; 12] = [
    OrgSpec {
        name: "Umbra Freight",
        domain: "umbra.example",
        policy: "notify",
        tz: "Europe/Amsterdam",
    },
    OrgSpec {
        name: "Halden Foods",
        domain: "halden.example",
        policy: "silent",
        tz: "Europe/Oslo",
    },
    OrgSpec {
        name: "Kestrel Health",
        domain: "kestrel.example",
        policy: "notify",
        tz: "Europe/Dublin",
    },
    OrgSpec {
        name: "Marlow & Finch",
        domain: "marlowfinch.example",
        policy: "notify",
        tz: "Europe/London",
    },
    OrgSpec {
        name: "Solvik Energy",
        domain: "solvik.example",
        policy: "silent",
        tz: "Europe/Helsinki",
    },
    OrgSpec {
        name: "Pampas Textiles",
        domain: "pampas.example",
        policy: "notify",
        tz: "America/Argentina/Buenos_Aires",
    },
    OrgSpec {
        name: "Tidewater Insurance",
        domain: "tidewater.example",
        policy: "silent",
        tz: "America/Chicago",
    },
    OrgSpec {
        name: "Kowhai Media",
        domain: "kowhai.example",
        policy: "notify",
        tz: "Pacific/Auckland",
    },
    OrgSpec {
        name: "Baobab Clinics",
        domain: "baobab.example",
        policy: "notify",
        tz: "Africa/Nairobi",
    },
    OrgSpec {
        name: "Sakura Components",
        domain: "sakura.example",
        policy: "silent",
        tz: "Asia/Tokyo",
    },
    OrgSpec {
        name: "Vireo Software",
        domain: "vireo.example",
        policy: "notify",
        tz: "America/Los_Angeles",
    },
    OrgSpec {
        name: "Lumen Legal",
        domain: "lumenlegal.example",
        policy: "silent",
        tz: "Europe/Madrid",
    },
];

pub(super) const FIRST: [&str; 40] = [
    "Emma", "Liam", "Olivia", "Noah", "Ava", "Elias", "Maja", "Hugo", "Sofia", "Lucas", "Ingrid",
    "Mateo", "Aisha", "Kenji", "Zara", "Tomás", "Freya", "Ravi", "Chloé", "Jonas", "Leila",
    "Oskar", "Mei", "Diego", "Hanna", "Kwame", "Nora", "Anton", "Yuki", "Lars", "Fatima", "Pavel",
    "Isla", "Mohammed", "Greta", "Chen", "Beatriz", "Emil", "Amara", "Björn",
];
pub(super) const LAST: [&str; 40] = [
    "Andersson",
    "Müller",
    "Rossi",
    "García",
    "Kowalski",
    "Nakamura",
    "Okonkwo",
    "Dubois",
    "Silva",
    "Jensen",
    "Novák",
    "Haddad",
    "Kim",
    "O'Brien",
    "Petrov",
    "Lindgren",
    "Santos",
    "Fischer",
    "Patel",
    "Ivanova",
    "Moreau",
    "Tanaka",
    "Nguyen",
    "Berg",
    "Costa",
    "Horvat",
    "Schmidt",
    "Virtanen",
    "Lopez",
    "Nielsen",
    "Adeyemi",
    "Wójcik",
    "Hansen",
    "Ferreira",
    "Yilmaz",
    "Murphy",
    "Svoboda",
    "Larsen",
    "Mendes",
    "Bauer",
];

pub(super) const CONNECTION_KINDS: [(&str, &str); 10] = [
    ("sftp", "Warehouse SFTP"),
    ("salesforce", "Salesforce"),
    ("xero", "Xero accounting"),
    ("gmail", "Operations mailbox"),
    ("slack", "Slack #ops"),
    ("postgres", "Reporting database"),
    ("sharepoint", "SharePoint documents"),
    ("http", "Carrier rates API"),
    ("google_sheets", "Planning sheet"),
    ("hubspot", "HubSpot CRM"),
];

pub(super) struct AssignmentSpec {
    pub name: &'static str,
    pub description: &'static str,
    pub schedule: &'static str,
    pub steps: &'static [&'static str],
}

pub(super) const ALICE_ASSIGNMENTS: [AssignmentSpec; 10] = [
    AssignmentSpec {
        name: "Morning carrier rate sync",
        description: "Pulls today's carrier rates and updates the pricing sheet.",
        schedule: "Every weekday at 07:00",
        steps: &[
            "Fetch carrier rates",
            "Normalise currencies",
            "Update pricing sheet",
        ],
    },
    AssignmentSpec {
        name: "Daily shipment reconciliation",
        description:
            "Matches yesterday's shipments against carrier invoices and flags differences.",
        schedule: "Every day at 06:30",
        steps: &[
            "Download shipment manifest",
            "Match invoices",
            "Flag differences",
            "Email summary",
        ],
    },
    AssignmentSpec {
        name: "Weekly invoice export to Xero",
        description: "Exports approved invoices to Xero as drafts.",
        schedule: "Every Monday at 09:00",
        steps: &[
            "Collect approved invoices",
            "Create Xero drafts",
            "Post confirmation to Slack",
        ],
    },
    AssignmentSpec {
        name: "Customs document check",
        description: "Checks new customs declarations for missing HS codes.",
        schedule: "Every hour",
        steps: &[
            "List new declarations",
            "Check HS codes",
            "Open follow-up tasks",
        ],
    },
    AssignmentSpec {
        name: "Driver timesheet import",
        description: "Imports driver timesheets from the shared folder.",
        schedule: "Every day at 18:00",
        steps: &[
            "Read timesheets",
            "Validate hours",
            "Write to payroll database",
        ],
    },
    AssignmentSpec {
        name: "Late delivery alerts",
        description:
            "Warns customers whose delivery is running late. Tags: <b>priority</b> & \"urgent\".",
        schedule: "Every 15 minutes",
        steps: &[
            "Query open deliveries",
            "Predict delays",
            "Send customer emails",
        ],
    },
    AssignmentSpec {
        name: "Warehouse stock snapshot",
        description: "Saves a stock snapshot for the monthly audit.",
        schedule: "Every day at 23:00",
        steps: &[
            "Connect to warehouse SFTP",
            "Download stock levels",
            "Store snapshot",
        ],
    },
    AssignmentSpec {
        name: "Monthly KPI report",
        description: "Builds the on-time-delivery KPI deck for management.",
        schedule: "On the 1st of each month at 08:00",
        steps: &[
            "Aggregate deliveries",
            "Render charts",
            "Upload to SharePoint",
            "Notify management",
        ],
    },
    AssignmentSpec {
        name: "Returns intake triage",
        description: "Sorts incoming return requests by reason and urgency.",
        schedule: "Every 30 minutes",
        steps: &["Read returns mailbox", "Classify requests", "Update CRM"],
    },
    AssignmentSpec {
        name: "Fuel surcharge update (draft)",
        description: "Draft: recalculates fuel surcharges from the diesel index.",
        schedule: "Manual only",
        steps: &["Fetch diesel index", "Recalculate surcharges"],
    },
];

pub(super) const GENERIC_ASSIGNMENTS: [AssignmentSpec; 12] = [
    AssignmentSpec {
        name: "Lead enrichment",
        description: "Adds company size and industry to new CRM leads.",
        schedule: "Every hour",
        steps: &["Fetch new leads", "Look up companies", "Update CRM"],
    },
    AssignmentSpec {
        name: "Invoice chasing",
        description: "Sends polite reminders for overdue invoices.",
        schedule: "Every weekday at 10:00",
        steps: &["List overdue invoices", "Draft reminders", "Send emails"],
    },
    AssignmentSpec {
        name: "Weekly sales digest",
        description: "Summarises the week's deals for the sales channel.",
        schedule: "Every Friday at 16:00",
        steps: &["Query closed deals", "Summarise", "Post to Slack"],
    },
    AssignmentSpec {
        name: "Support inbox routing",
        description: "Routes support emails to the right queue.",
        schedule: "Every 15 minutes",
        steps: &["Read inbox", "Classify", "Assign to queue"],
    },
    AssignmentSpec {
        name: "Contract renewal watch",
        description: "Lists contracts expiring within 60 days.",
        schedule: "Every Monday at 08:00",
        steps: &["Scan contracts", "Compute renewal dates", "Create tasks"],
    },
    AssignmentSpec {
        name: "Expense report check",
        description: "Checks expense reports against the travel policy.",
        schedule: "Every day at 07:30",
        steps: &[
            "Download reports",
            "Apply policy rules",
            "Flag exceptions",
            "Notify approvers",
        ],
    },
    AssignmentSpec {
        name: "Inventory reorder",
        description: "Proposes purchase orders when stock falls below the threshold.",
        schedule: "Every day at 05:00",
        steps: &[
            "Read stock levels",
            "Compare thresholds",
            "Draft purchase orders",
        ],
    },
    AssignmentSpec {
        name: "Candidate screening notes",
        description: "Summarises new applications for the hiring team.",
        schedule: "Every weekday at 12:00",
        steps: &[
            "Fetch applications",
            "Summarise CVs",
            "Share with hiring team",
        ],
    },
    AssignmentSpec {
        name: "Patient reminder calls list",
        description: "Prepares tomorrow's appointment reminder list.",
        schedule: "Every day at 17:00",
        steps: &[
            "Query appointments",
            "Build call list",
            "Upload to SharePoint",
        ],
    },
    AssignmentSpec {
        name: "Bank statement import",
        description: "Imports bank statements and matches payments.",
        schedule: "Every weekday at 06:00",
        steps: &[
            "Download statements",
            "Match payments",
            "Post journal entries",
        ],
    },
    AssignmentSpec {
        name: "Social mentions monitor",
        description: "Collects brand mentions and scores sentiment.",
        schedule: "Every hour",
        steps: &["Collect mentions", "Score sentiment", "Post highlights"],
    },
    AssignmentSpec {
        name: "Quarterly compliance pack",
        description: "Gathers evidence for the quarterly compliance review.",
        schedule: "On the 1st of each quarter at 09:00",
        steps: &[
            "Collect evidence",
            "Check completeness",
            "Compile pack",
            "Email compliance officer",
        ],
    },
];

pub(super) const ERRORS: [&str; 8] = [
    "Timeout after 300 s waiting for the remote server to respond",
    "HTTP 429 Too Many Requests from the API; retry budget exhausted",
    "Authentication failed for the connection: token expired",
    "CSV parse error at line 1,284: expected 9 columns, found 7",
    "Mailbox quota exceeded; 3 messages could not be sent",
    "Remote file not found: /outbound/manifest.csv",
    "Validation failed: 12 rows with missing customer numbers",
    "Connection reset by peer during upload",
];
