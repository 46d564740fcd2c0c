//! Where phones reach the booth: the machine's network addresses, which one a link names, and
//! the link's base (`http://ADDRESS:PORT`).
//!
//! In: the interfaces the OS reports (`if-addrs`) and the operator's choice: `auto`, an
//! interface name (`wlan0`) or one of its addresses (`192.168.1.20`, `127.0.0.1` for this
//! machine only). Out: the [`Candidate`]s, best first (the settings panel lists them all), and the
//! one chosen: the server binds that address only, and links name it. Any thread (the window
//! asks when the settings open or sharing starts).
//!
//! `auto` takes the first candidate in this order: interfaces that are up before others;
//! wireless (`wl*`) before wired (`en*`, `eth*`) before others; virtual bridges and tunnels
//! (`docker*`, `br-*`, `virbr*`, `veth*`, `lxc*`, `tun*`, `tap*`, `wg*`, ...) after every real one;
//! IPv4 private addresses (10/8, 172.16/12, 192.168/16: a venue's Wi-Fi or the booth laptop's own
//! hotspot) before other IPv4, before IPv6; loopback last (phones cannot reach it). A machine on
//! both a venue network and its own hotspot therefore names its Wi-Fi address; choose the other
//! interface by name in the settings to use it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// One address of one interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub interface: String,
    pub ip: IpAddr,
    pub up: bool,
}

impl Candidate {
    /// "wlan0  192.168.1.20" for the settings panel.
    pub fn label(&self) -> String {
        format!("{}  {}", self.interface, self.ip)
    }

    fn rank(&self) -> (u8, u8, u8, u8) {
        let name = self.interface.as_str();
        let virtual_prefixes =
            ["docker", "br-", "virbr", "veth", "lxc", "lxd", "tun", "tap", "wg", "zt", "tailscale", "vmnet", "vbox"];
        let kind = if self.ip.is_loopback() {
            4
        } else if virtual_prefixes.iter().any(|p| name.starts_with(p)) {
            3
        } else if name.starts_with("wl") {
            0
        } else if name.starts_with("en") || name.starts_with("eth") {
            1
        } else {
            2
        };
        let family = match self.ip {
            IpAddr::V4(v4) if v4.is_private() => 0,
            IpAddr::V4(_) => 1,
            IpAddr::V6(_) => 2,
        };
        (u8::from(self.ip.is_loopback()), u8::from(!self.up), kind, family)
    }
}

/// Every address of every interface, best first (see the module doc). IPv6 link-local
/// addresses are left out (a URL cannot carry their zone for a phone).
pub fn candidates() -> Vec<Candidate> {
    let mut list: Vec<Candidate> = match if_addrs::get_if_addrs() {
        Ok(ifaces) => ifaces
            .into_iter()
            .filter(|i| !matches!(i.ip(), IpAddr::V6(v6) if v6.is_unicast_link_local()))
            .map(|i| Candidate { up: i.is_oper_up() || i.is_loopback(), ip: i.ip(), interface: i.name })
            .collect(),
        Err(e) => {
            log::warn!("cannot list the network interfaces: {e}");
            Vec::new()
        }
    };
    sort(&mut list);
    list
}

fn sort(list: &mut [Candidate]) {
    list.sort_by_key(|c| c.rank());
}

/// The address for `choice` (`auto`, an interface name or an address) among `candidates`.
/// An address that is no interface's is refused: the server would not bind it.
pub fn choose(choice: &str, candidates: &[Candidate]) -> Result<IpAddr, String> {
    let choice = choice.trim();
    if choice.is_empty() || choice.eq_ignore_ascii_case("auto") {
        return candidates
            .iter()
            .find(|c| !c.ip.is_loopback())
            .or_else(|| candidates.first())
            .map(|c| c.ip)
            .ok_or_else(|| "no network interface has an address".to_string());
    }
    if let Ok(ip) = choice.parse::<IpAddr>() {
        return if candidates.iter().any(|c| c.ip == ip) {
            Ok(ip)
        } else {
            Err(format!("{ip} is not an address of this machine (it has: {})", names(candidates)))
        };
    }
    let mine: Vec<&Candidate> = candidates.iter().filter(|c| c.interface == choice).collect();
    // the interface's best address: its first in candidate order
    mine.first().map(|c| c.ip).ok_or_else(|| {
        format!("there is no network interface '{choice}' with an address (there are: {})", names(candidates))
    })
}

fn names(candidates: &[Candidate]) -> String {
    if candidates.is_empty() {
        return "none".into();
    }
    candidates.iter().map(Candidate::label).collect::<Vec<_>>().join(", ")
}

/// `http://ADDRESS:PORT`, an IPv6 address in brackets.
pub fn link_base(addr: SocketAddr) -> String {
    format!("http://{addr}")
}

/// The address `webtoonme share` names when no server address is given: the configured
/// interface's, on the configured port.
pub fn configured(choice: &str, port: u16) -> Result<SocketAddr, String> {
    let ip = choose(choice, &candidates())?;
    Ok(SocketAddr::new(ip, port))
}

/// 127.0.0.1: this machine only.
pub const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

#[cfg(test)]
mod tests {
    use super::*;

    fn c(interface: &str, ip: &str) -> Candidate {
        Candidate { interface: interface.into(), ip: ip.parse().unwrap(), up: true }
    }

    #[test]
    fn auto_takes_the_wifi_before_wires_bridges_and_loopback() {
        let mut list = vec![
            c("lo", "127.0.0.1"),
            c("docker0", "172.17.0.1"),
            c("eth0", "10.0.0.5"),
            c("wlan0", "2001:db8::5"),
            c("wlan0", "192.168.1.20"),
            c("virbr0", "192.168.122.1"),
        ];
        sort(&mut list);
        let order: Vec<String> = list.iter().map(Candidate::label).collect();
        assert_eq!(
            order,
            [
                "wlan0  192.168.1.20",
                "wlan0  2001:db8::5",
                "eth0  10.0.0.5",
                "docker0  172.17.0.1",
                "virbr0  192.168.122.1",
                "lo  127.0.0.1"
            ]
        );
        assert_eq!(choose("auto", &list).unwrap().to_string(), "192.168.1.20");
        assert_eq!(choose("eth0", &list).unwrap().to_string(), "10.0.0.5");
        assert_eq!(choose("127.0.0.1", &list).unwrap(), LOCALHOST);
        let e = choose("10.9.9.9", &list).unwrap_err();
        assert!(e.contains("not an address of this machine") && e.contains("wlan0  192.168.1.20"), "{e}");
        assert!(choose("wlan9", &list).unwrap_err().contains("no network interface 'wlan9'"));
        // a wire that is down comes after the wifi that is up, and only loopback: loopback
        let mut down = c("eth1", "192.168.5.5");
        down.up = false;
        let mut list = vec![down, c("wlp2s0", "10.42.0.1")];
        sort(&mut list);
        assert_eq!(list[0].interface, "wlp2s0");
        assert_eq!(choose("auto", &[c("lo", "127.0.0.1")]).unwrap(), LOCALHOST);
        assert!(choose("auto", &[]).is_err());
    }

    #[test]
    fn this_machine_has_loopback_and_links_bracket_ipv6() {
        assert!(candidates().iter().any(|c| c.ip.is_loopback()), "{:?}", candidates());
        assert_eq!(link_base("127.0.0.1:8080".parse().unwrap()), "http://127.0.0.1:8080");
        assert_eq!(link_base("[2001:db8::5]:80".parse().unwrap()), "http://[2001:db8::5]:80");
    }
}
