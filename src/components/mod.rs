//! Pieces shared by the pages: the banner and the two layouts, the notes
//! drawer, the runs chart, data tables, "Load more" and the loading, error
//! and empty states.

pub mod admin_frame;
pub mod banner;
pub mod bidi;
pub mod chart;
pub mod load_more;
pub mod notes;
pub mod session_frame;
pub mod states;
pub mod table;

pub use admin_frame::AdminFrame;
pub use banner::Banner;
pub use bidi::isolate;
pub use chart::RunsChart;
pub use load_more::{LoadMore, Paging};
pub use notes::NotesDrawer;
pub use session_frame::{SessionFrame, SessionFrameProps};
pub use states::{Empty, ErrorPanel, Skeleton};
pub use table::DataTable;
