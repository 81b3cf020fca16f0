// Package ipinyou reads the iPinYou RTB competition logs (impression, click and conversion
// files: tab-separated, 24 columns, no header) into adpulse events.
//
// The mapping follows the conventions of the data's README: the advertiser is the
// campaign, the creative is the ad, an event's identity is its bid id plus its log type,
// an impression costs its paying price x 10 micro-CNY, and the timestamps are China
// Standard Time (UTC+8). Every event produced passes event.Validate.
package ipinyou
