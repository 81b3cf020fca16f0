package campaign

import "time"

// Objective is what a campaign is for.
type Objective string

// The objectives.
const (
	Awareness   Objective = "awareness"
	Traffic     Objective = "traffic"
	Engagement  Objective = "engagement"
	Leads       Objective = "leads"
	Sales       Objective = "sales"
	AppInstalls Objective = "app_installs"
)

// Channel is where a campaign's ads run.
type Channel string

// The channels.
const (
	Display Channel = "display"
	Social  Channel = "social"
	Search  Channel = "search"
	Video   Channel = "video"
)

// Spec is the part of a campaign that clients write.
type Spec struct {
	Name       string      `json:"name" validate:"required,max=200,text"`
	BrandID    string      `json:"brand_id" validate:"required,max=64,ident"`
	Objectives []Objective `json:"objectives" validate:"required,min=1,max=6,unique,dive,oneof=awareness traffic engagement leads sales app_installs"`
	Channels   []Channel   `json:"channels" validate:"required,min=1,max=4,unique,dive,oneof=display social search video"`
	Budget     *Budget     `json:"budget" validate:"required"`
	Schedule   *Schedule   `json:"schedule" validate:"required"`
	Targeting  *Targeting  `json:"targeting,omitempty"`
}

// Budget is how much a campaign may spend, in integer micros of its currency
// (1 USD = 1,000,000 micros).
type Budget struct {
	TotalMicros    int64  `json:"total_micros" validate:"gt=0,lte=1000000000000000"`
	DailyCapMicros *int64 `json:"daily_cap_micros,omitempty" validate:"omitnil,gt=0"`
	Currency       string `json:"currency" validate:"required,iso4217"`
}

// Schedule is when a campaign runs, within the years MinYear to MaxYear. End is
// optional (open-ended).
type Schedule struct {
	Start    string `json:"start" validate:"required,datetime=2006-01-02T15:04:05Z07:00"`
	End      string `json:"end,omitempty" validate:"omitempty,datetime=2006-01-02T15:04:05Z07:00"`
	Timezone string `json:"timezone" validate:"required,timezone"`
}

// The years a schedule may name, as written (in the date-time's own offset). Reports
// refuse ranges before 2000 too.
const (
	MinYear = 2000
	MaxYear = 2100
)

// Targeting narrows who sees a campaign's ads. Every list is optional; an absent list
// means no restriction.
type Targeting struct {
	Geo []string `json:"geo,omitempty" validate:"max=250,unique,dive,iso3166_1_alpha2|iso3166_2"`

	Devices    []string  `json:"devices,omitempty" validate:"max=4,unique,dive,oneof=desktop mobile tablet ctv"`
	Audiences  []string  `json:"audiences,omitempty" validate:"max=100,unique,dive,ident,max=64"`
	Dayparting []Daypart `json:"dayparting,omitempty" validate:"max=50,dive"`
}

// Daypart is a window of hours on some weekdays, in the campaign's time zone:
// start_hour inclusive, end_hour exclusive.
type Daypart struct {
	Days      []string `json:"days" validate:"required,min=1,max=7,unique,dive,oneof=mon tue wed thu fri sat sun"`
	StartHour int      `json:"start_hour" validate:"min=0,max=23"`
	EndHour   int      `json:"end_hour" validate:"min=1,max=24,gtfield=StartHour"`
}

// Campaign is a stored campaign: the client's Spec plus the fields the server sets.
type Campaign struct {
	ID       string `json:"id"`
	TenantID string `json:"-"`
	Spec
	Status    Status    `json:"status"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by"`
}

// serverFields are the top-level body keys the server sets; a body may carry them (a
// GET answer sent back with PUT does) and they are ignored.
var serverFields = []string{"id", "tenant_id", "status", "version", "created_at",
	"created_by", "updated_at", "updated_by", "_links"}
