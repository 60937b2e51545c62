package servicepass

// NetworkPolicy is one network restriction that [RemoveNetworkRestrictions]
// lifts for the privileged window.
type NetworkPolicy struct {
	// ID is a stable machine name, e.g. "configure_mobile_networks". Agents
	// map it to the platform's restriction.
	ID string
	// Name is an English label for consoles and logs.
	Name string
	// COPEOnly is set for policies that exist only on COPE devices.
	COPEOnly bool
}

var networkPolicies = [...]NetworkPolicy{
	{ID: "configure_mobile_networks", Name: "Configure mobile networks"},
	{ID: "roaming_data", Name: "Roaming data"},
	{ID: "tethering_and_hotspots", Name: "Tethering and hotspots"},
	{ID: "edit_wifi_configuration", Name: "Edit Wi-Fi configuration"},
	{ID: "wifi_sleep_setting", Name: "Wi-Fi sleep setting"},
	{ID: "remove_added_wifi_networks", Name: "Remove added Wi-Fi networks"},
	{ID: "private_dns", Name: "Private DNS", COPEOnly: true},
}

// NetworkPolicies returns the network policies that RemoveNetworkRestrictions
// lifts in mode, in a fixed order: six on Device Owner, seven on COPE
// (private DNS is COPE only). An unknown mode has none. The result is a fresh
// slice the caller may keep.
func NetworkPolicies(m Mode) []NetworkPolicy {
	if !m.Valid() {
		return nil
	}
	out := make([]NetworkPolicy, 0, len(networkPolicies))
	for _, p := range networkPolicies {
		if p.COPEOnly && m != COPE {
			continue
		}
		out = append(out, p)
	}
	return out
}
