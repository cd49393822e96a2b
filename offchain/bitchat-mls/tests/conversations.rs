//! Conversations between accounts, with messages carried by hand (no network): 1:1, a group of
//! 20 with removals and additions, re-keying, persistence, and refusals.

use bithive_bitchat_mls::{ConversationId, Conversations, MlsError, Received};

fn secret(i: u8) -> [u8; 32] {
    let mut s = [0x11u8; 32];
    s[31] = i + 1;
    s
}

fn client(i: u8) -> Conversations {
    Conversations::open(None, &secret(i)).unwrap()
}

fn body_of(r: Received) -> Vec<u8> {
    match r {
        Received::Message { body, .. } => body,
        other => panic!("expected a message, got {other:?}"),
    }
}

/// `admin` creates a conversation and invites `others` (one key package each).
fn conversation(admin: &mut Conversations, others: &mut [&mut Conversations]) -> ConversationId {
    let c = admin.create().unwrap();
    let kps: Vec<Vec<u8>> = others
        .iter_mut()
        .map(|o| o.key_package().unwrap())
        .collect();
    let inv = admin.invite(&c, &kps).unwrap();
    assert!(inv.commit.is_empty(), "nobody else was in the conversation");
    for o in others.iter_mut() {
        match o.receive(&inv.welcome).unwrap() {
            Received::Joined {
                conversation,
                members,
            } => {
                assert_eq!(conversation, c);
                assert_eq!(members.len(), kps.len() + 1);
            }
            other => panic!("{other:?}"),
        }
    }
    c
}

#[test]
fn one_to_one_both_ways_with_accounts_named() {
    let (mut alice, mut bob) = (client(0), client(1));
    let c = conversation(&mut alice, &mut [&mut bob]);
    assert_eq!(c.admin(), Some(alice.account()));
    assert_eq!(
        alice.members(&c).unwrap(),
        vec![alice.account(), bob.account()]
    );
    assert_eq!(bob.members(&c).unwrap(), alice.members(&c).unwrap());

    let m = alice.send(&c, b"hello bob").unwrap();
    assert!(!m.windows(9).any(|w| w == b"hello bob"));
    match bob.receive(&m).unwrap() {
        Received::Message {
            conversation,
            from,
            body,
        } => {
            assert_eq!(
                (conversation, from, body),
                (c.clone(), alice.account(), b"hello bob".to_vec())
            );
        }
        other => panic!("{other:?}"),
    }
    let r = bob.send(&c, b"hi alice").unwrap();
    assert_eq!(body_of(alice.receive(&r).unwrap()), b"hi alice");
    // The same ciphertext again: its key was used and deleted (forward secrecy), so it is
    // refused rather than delivered twice.
    assert!(matches!(alice.receive(&r), Err(MlsError::Undecryptable(_))));
    assert_eq!(alice.conversations(), vec![c.clone()]);
    assert_eq!(bob.conversations(), vec![c]);
}

#[test]
fn group_of_twenty_removal_and_addition_cut_access() {
    let mut clients: Vec<Conversations> = (0..21).map(client).collect();
    let (admin, rest) = clients.split_first_mut().unwrap();
    let (late, members) = rest.split_last_mut().unwrap();
    let mut refs: Vec<&mut Conversations> = members.iter_mut().collect();
    let c = conversation(admin, &mut refs);
    assert_eq!(admin.members(&c).unwrap().len(), 20);

    // Messages from the admin and from a member reach all others.
    let m = admin.send(&c, b"to all twenty").unwrap();
    for o in members.iter_mut() {
        assert_eq!(body_of(o.receive(&m).unwrap()), b"to all twenty");
    }
    let m = members[4].send(&c, b"from member 5").unwrap();
    assert_eq!(body_of(admin.receive(&m).unwrap()), b"from member 5");
    for (i, o) in members.iter_mut().enumerate() {
        if i != 4 {
            assert_eq!(body_of(o.receive(&m).unwrap()), b"from member 5");
        }
    }

    // Remove member 7: everyone (7 included) gets the commit.
    let removed = members[7].account();
    let commit = admin.remove(&c, &[removed]).unwrap();
    for (i, o) in members.iter_mut().enumerate() {
        let r = o.receive(&commit).unwrap();
        if i == 7 {
            assert_eq!(
                r,
                Received::RemovedFromConversation {
                    conversation: c.clone()
                }
            );
        } else {
            assert_eq!(
                r,
                Received::Changed {
                    conversation: c.clone(),
                    added: vec![],
                    removed: vec![removed]
                }
            );
        }
    }
    assert_eq!(admin.members(&c).unwrap().len(), 19);
    assert!(members[7].conversations().is_empty());

    let after = admin.send(&c, b"after the removal").unwrap();
    // The removed member cannot read what follows.
    assert!(matches!(
        members[7].receive(&after),
        Err(MlsError::UnknownConversation(_))
    ));
    for (i, o) in members.iter_mut().enumerate() {
        if i != 7 {
            assert_eq!(body_of(o.receive(&after).unwrap()), b"after the removal");
        }
    }

    // A late member is added; what was sent before cannot be read by it.
    let before = admin.send(&c, b"before the addition").unwrap();
    let kp = late.key_package().unwrap();
    let inv = admin.invite(&c, &[kp]).unwrap();
    assert_eq!(inv.added, vec![late.account()]);
    for (i, o) in members.iter_mut().enumerate() {
        if i != 7 {
            assert_eq!(body_of(o.receive(&before).unwrap()), b"before the addition");
            assert!(matches!(
                o.receive(&inv.commit).unwrap(),
                Received::Changed { .. }
            ));
        }
    }
    assert!(matches!(
        late.receive(&inv.welcome).unwrap(),
        Received::Joined { .. }
    ));
    assert!(
        late.receive(&before).is_err(),
        "a new member must not read earlier messages"
    );
    assert!(late.receive(&after).is_err());
    let hello = late.send(&c, b"hello, I'm new").unwrap();
    assert_eq!(body_of(admin.receive(&hello).unwrap()), b"hello, I'm new");
    assert_eq!(
        body_of(members[0].receive(&hello).unwrap()),
        b"hello, I'm new"
    );
}

#[test]
fn a_removed_member_keeping_its_old_state_still_cannot_read_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("carol.mls");
    let (mut alice, mut bob) = (client(0), client(1));
    let mut carol = Conversations::open(Some(&path), &secret(2)).unwrap();
    let c = conversation(&mut alice, &mut [&mut bob, &mut carol]);
    // Carol keeps a copy of her state from before the removal.
    let copy = dir.path().join("carol-copy.mls");
    std::fs::copy(&path, &copy).unwrap();
    let commit = alice.remove(&c, &[carol.account()]).unwrap();
    bob.receive(&commit).unwrap();
    let secret_msg = alice.send(&c, b"carol must not see this").unwrap();
    assert_eq!(
        body_of(bob.receive(&secret_msg).unwrap()),
        b"carol must not see this"
    );
    let mut old = Conversations::open(Some(&copy), &secret(2)).unwrap();
    assert_eq!(old.conversations(), vec![c.clone()]);
    match old.receive(&secret_msg) {
        Err(MlsError::Undecryptable(_)) => {}
        other => panic!("the old epoch must not open the new one's message: {other:?}"),
    }
}

#[test]
fn members_renew_keys_through_the_admin() {
    let (mut alice, mut bob, mut carol) = (client(0), client(1), client(2));
    let c = conversation(&mut alice, &mut [&mut bob, &mut carol]);
    // Bob is not the admin: his re-key is a proposal, and his direct commits are refused.
    assert!(matches!(bob.invite(&c, &[]), Err(MlsError::NotAdmin(_))));
    assert!(matches!(
        bob.remove(&c, &[carol.account()]),
        Err(MlsError::NotAdmin(_))
    ));
    let proposal = bob.rekey(&c).unwrap();
    assert_eq!(
        alice.receive(&proposal).unwrap(),
        Received::UpdateProposed {
            conversation: c.clone(),
            from: bob.account()
        }
    );
    carol.receive(&proposal).unwrap();
    let commit = alice
        .commit_pending(&c)
        .unwrap()
        .expect("bob's update is pending");
    assert!(alice.commit_pending(&c).unwrap().is_none());
    for o in [&mut bob, &mut carol] {
        assert!(matches!(
            o.receive(&commit).unwrap(),
            Received::Changed { .. }
        ));
    }
    // The admin re-keys directly.
    let commit = alice.rekey(&c).unwrap();
    for o in [&mut bob, &mut carol] {
        assert!(matches!(
            o.receive(&commit).unwrap(),
            Received::Changed { .. }
        ));
    }
    let m = bob.send(&c, b"new keys").unwrap();
    assert_eq!(body_of(alice.receive(&m).unwrap()), b"new keys");
    assert_eq!(body_of(carol.receive(&m).unwrap()), b"new keys");
}

#[test]
fn state_survives_a_restart_encrypted_and_0600() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (pa, pb) = (dir.path().join("a.mls"), dir.path().join("b.mls"));
    let c;
    let late_msg;
    {
        let mut alice = Conversations::open(Some(&pa), &secret(0)).unwrap();
        let mut bob = Conversations::open(Some(&pb), &secret(1)).unwrap();
        c = conversation(&mut alice, &mut [&mut bob]);
        let m = alice.send(&c, b"a very private plaintext").unwrap();
        assert_eq!(
            body_of(bob.receive(&m).unwrap()),
            b"a very private plaintext"
        );
        late_msg = alice.send(&c, b"read after bob restarts").unwrap();
    }
    for p in [&pa, &pb] {
        let raw = std::fs::read(p).unwrap();
        assert!(!raw.windows(15).any(|w| w == b"a very private "));
        assert_eq!(
            std::fs::metadata(p).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let mut alice = Conversations::open(Some(&pa), &secret(0)).unwrap();
    let mut bob = Conversations::open(Some(&pb), &secret(1)).unwrap();
    assert_eq!(bob.conversations(), vec![c.clone()]);
    assert_eq!(
        body_of(bob.receive(&late_msg).unwrap()),
        b"read after bob restarts"
    );
    let m = bob.send(&c, b"back").unwrap();
    assert_eq!(body_of(alice.receive(&m).unwrap()), b"back");
    // Another account's secret does not open bob's file.
    let e = Conversations::open(Some(&pb), &secret(2))
        .unwrap_err()
        .to_string();
    assert!(e.contains("cannot be opened"), "{e}");
}

#[test]
fn hostile_input_is_refused_and_changes_nothing() {
    let (mut alice, mut bob, mut carol) = (client(0), client(1), client(2));
    let c = conversation(&mut alice, &mut [&mut bob]);
    let m = alice.send(&c, b"genuine").unwrap();

    assert!(matches!(bob.receive(b""), Err(MlsError::Malformed { .. })));
    assert!(matches!(
        bob.receive(&[0xff; 64]),
        Err(MlsError::Malformed { .. })
    ));
    assert!(matches!(
        bob.receive(&vec![0; (1 << 20) + 1]),
        Err(MlsError::Malformed { .. })
    ));
    for n in [1, m.len() / 2, m.len() - 1] {
        assert!(bob.receive(&m[..n]).is_err(), "truncated at {n}");
    }
    let mut flipped = m.clone();
    let last = flipped.len() - 3;
    flipped[last] ^= 0x40;
    assert!(matches!(
        bob.receive(&flipped),
        Err(MlsError::Undecryptable(_))
    ));
    // Nothing above moved bob's state: the genuine message still opens.
    assert_eq!(body_of(bob.receive(&m).unwrap()), b"genuine");

    // A welcome meant for bob, delivered to carol: she holds no key package for it.
    let d = alice.create().unwrap();
    let inv = alice.invite(&d, &[bob.key_package().unwrap()]).unwrap();
    assert!(matches!(
        carol.receive(&inv.welcome),
        Err(MlsError::Undecryptable(_))
    ));
    assert!(carol.conversations().is_empty());
    // A key package handed in as a message, a message handed in as a key package.
    let kp = carol.key_package().unwrap();
    assert!(matches!(bob.receive(&kp), Err(MlsError::Malformed { .. })));
    assert!(matches!(
        alice.check_key_package(&m),
        Err(MlsError::Malformed { .. })
    ));
    // Inviting an account already present is refused before anything is committed.
    let again = bob.key_package().unwrap();
    assert!(matches!(
        alice.invite(&c, &[again]),
        Err(MlsError::Invalid(_))
    ));
    let m2 = alice.send(&c, b"still in step").unwrap();
    assert_eq!(body_of(bob.receive(&m2).unwrap()), b"still in step");
}

#[test]
fn a_copy_refused_by_policy_uses_up_nothing_the_genuine_one_needs() {
    let (mut alice, mut bob, mut carol) = (client(0), client(1), client(2));
    let c = alice.create().unwrap();
    let inv = alice.invite(&c, &[bob.key_package().unwrap()]).unwrap();
    // A welcome refused by the caller's policy: the key package it needs is still there.
    let e = bob
        .receive_with(&inv.welcome, |_| Err("not now".into()))
        .unwrap_err();
    assert!(matches!(e, MlsError::Refused(_)), "{e}");
    assert!(matches!(
        bob.receive(&inv.welcome).unwrap(),
        Received::Joined { .. }
    ));
    // A message and a commit refused once (e.g. forwarded by someone else) still open after.
    let m = alice.send(&c, b"once").unwrap();
    assert!(bob.receive_with(&m, |_| Err("forwarded".into())).is_err());
    assert_eq!(body_of(bob.receive(&m).unwrap()), b"once");
    let add = alice.invite(&c, &[carol.key_package().unwrap()]).unwrap();
    assert!(bob
        .receive_with(&add.commit, |_| Err("forwarded".into()))
        .is_err());
    assert!(matches!(
        bob.receive(&add.commit).unwrap(),
        Received::Changed { .. }
    ));
    carol.receive(&add.welcome).unwrap();
    let m = alice.send(&c, b"all three").unwrap();
    assert_eq!(body_of(bob.receive(&m).unwrap()), b"all three");
    assert_eq!(body_of(carol.receive(&m).unwrap()), b"all three");
}

#[test]
fn an_update_only_the_admin_saw_is_not_swept_into_its_next_commit() {
    let (mut alice, mut bob, mut carol, mut dave) = (client(0), client(1), client(2), client(3));
    let c = conversation(&mut alice, &mut [&mut bob, &mut carol]);
    // Bob proposes to the admin only; carol never sees it.
    let p = bob.rekey(&c).unwrap();
    alice.receive(&p).unwrap();
    let add = alice.invite(&c, &[dave.key_package().unwrap()]).unwrap();
    for o in [&mut bob, &mut carol] {
        assert!(matches!(
            o.receive(&add.commit).unwrap(),
            Received::Changed { .. }
        ));
    }
    dave.receive(&add.welcome).unwrap();
    let m = alice.send(&c, b"still one group").unwrap();
    for o in [&mut bob, &mut carol, &mut dave] {
        assert_eq!(body_of(o.receive(&m).unwrap()), b"still one group");
    }
}

mod forged {
    //! Key packages whose credential does not bind the MLS key to the account it names.
    use super::*;
    use openmls::prelude::*;
    use openmls_basic_credential::SignatureKeyPair;
    use openmls_rust_crypto::OpenMlsRustCrypto;

    fn key_package_with(identity: Vec<u8>) -> Vec<u8> {
        let provider = OpenMlsRustCrypto::default();
        let signer =
            SignatureKeyPair::new(bithive_bitchat_mls::CIPHERSUITE.signature_algorithm()).unwrap();
        let cred = CredentialWithKey {
            credential: BasicCredential::new(identity).into(),
            signature_key: signer.public().into(),
        };
        let bundle = KeyPackage::builder()
            .build(bithive_bitchat_mls::CIPHERSUITE, &provider, &signer, cred)
            .unwrap();
        MlsMessageOut::from(bundle.key_package().clone())
            .to_bytes()
            .unwrap()
    }

    #[test]
    fn a_key_package_claiming_someone_elses_account_is_refused() {
        let mut alice = client(0);
        let c = alice.create().unwrap();
        // Bob's real credential bytes (his account key and his signature over HIS MLS key),
        // reused by an attacker with its own MLS key.
        let mut bob = client(1);
        let genuine = bob.key_package().unwrap();
        let (kp, account) = alice.check_key_package(&genuine).unwrap();
        assert_eq!(account, bob.account());
        let stolen = BasicCredential::try_from(kp.leaf_node().credential().clone())
            .unwrap()
            .identity()
            .to_vec();
        for identity in [stolen, b"bob".to_vec(), vec![0; 97]] {
            let forged = key_package_with(identity);
            match alice.invite(&c, &[forged]) {
                Err(MlsError::Refused(why)) => assert!(why.contains("credential"), "{why}"),
                other => panic!("a forged credential must be refused: {other:?}"),
            }
        }
        assert_eq!(alice.members(&c).unwrap(), vec![alice.account()]);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
    #[test]
    fn receive_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
        let mut c = client(3);
        let _ = c.receive(&bytes);
        let _ = c.check_key_package(&bytes);
    }
}

mod hostile_member {
    //! A member who runs openmls directly, outside this crate's policy: its commits and its
    //! welcomes in the admin's name are refused by everyone else.
    use super::*;
    use bithive_bitchat_mls::credential;
    use k256::ecdsa::SigningKey;
    use openmls::prelude::tls_codec::Deserialize;
    use openmls::prelude::*;
    use openmls_basic_credential::SignatureKeyPair;
    use openmls_rust_crypto::OpenMlsRustCrypto;

    struct Raw {
        provider: OpenMlsRustCrypto,
        signer: SignatureKeyPair,
        cred: CredentialWithKey,
    }

    fn raw(i: u8) -> Raw {
        let provider = OpenMlsRustCrypto::default();
        let signer =
            SignatureKeyPair::new(bithive_bitchat_mls::CIPHERSUITE.signature_algorithm()).unwrap();
        signer.store(provider.storage()).unwrap();
        let account = SigningKey::from_bytes((&secret(i)).into()).unwrap();
        let cred = CredentialWithKey {
            credential: credential::bind(&account, signer.public()),
            signature_key: signer.public().into(),
        };
        Raw {
            provider,
            signer,
            cred,
        }
    }

    impl Raw {
        fn key_package(&self) -> Vec<u8> {
            let b = KeyPackage::builder()
                .build(
                    bithive_bitchat_mls::CIPHERSUITE,
                    &self.provider,
                    &self.signer,
                    self.cred.clone(),
                )
                .unwrap();
            MlsMessageOut::from(b.key_package().clone())
                .to_bytes()
                .unwrap()
        }
        fn join(&self, welcome: &[u8]) -> MlsGroup {
            let w = match MlsMessageIn::tls_deserialize_exact(welcome)
                .unwrap()
                .extract()
            {
                MlsMessageBodyIn::Welcome(w) => w,
                _ => panic!(),
            };
            let cfg = MlsGroupJoinConfig::builder()
                .use_ratchet_tree_extension(true)
                .build();
            StagedWelcome::new_from_welcome(&self.provider, &cfg, w, None)
                .unwrap()
                .into_group(&self.provider)
                .unwrap()
        }
    }

    /// Alice's conversation with Bob and Mallory (who runs openmls directly), all joined.
    fn alice_bob_and_mallory() -> (Conversations, Conversations, Raw, ConversationId, MlsGroup) {
        let (mut alice, mut bob) = (client(0), client(1));
        let mallory = raw(9);
        let c = alice.create().unwrap();
        let inv = alice
            .invite(&c, &[bob.key_package().unwrap(), mallory.key_package()])
            .unwrap();
        bob.receive(&inv.welcome).unwrap();
        let g = mallory.join(&inv.welcome);
        (alice, bob, mallory, c, g)
    }

    #[test]
    fn commits_by_a_member_other_than_the_admin_are_refused() {
        let (mut alice, mut bob, mallory, c, mut g) = alice_bob_and_mallory();

        // Mallory removes bob in her own commit.
        let bob_leaf = g
            .members()
            .find(|m| credential::verify(&m.credential, &m.signature_key).unwrap() == bob.account())
            .unwrap()
            .index;
        let (commit, _, _) = g
            .remove_members(&mallory.provider, &mallory.signer, &[bob_leaf])
            .unwrap();
        let commit = commit.to_bytes().unwrap();
        for who in [&mut alice, &mut bob] {
            match who.receive(&commit) {
                Err(MlsError::Refused(why)) => {
                    assert!(why.contains("other than the admin"), "{why}")
                }
                other => panic!("{other:?}"),
            }
        }
        // Mallory re-keys in her own commit: refused too.
        g.clear_pending_commit(mallory.provider.storage()).unwrap();
        let bundle = g
            .self_update(
                &mallory.provider,
                &mallory.signer,
                LeafNodeParameters::default(),
            )
            .unwrap();
        let commit = bundle.into_commit().to_bytes().unwrap();
        assert!(matches!(bob.receive(&commit), Err(MlsError::Refused(_))));
        // Nobody moved: alice and bob are still in step, with three members.
        let m = alice.send(&c, b"unchanged").unwrap();
        assert_eq!(body_of(bob.receive(&m).unwrap()), b"unchanged");
        assert_eq!(bob.members(&c).unwrap().len(), 3);
    }

    #[test]
    fn an_update_rebinding_a_leaf_to_another_account_is_refused() {
        let (mut alice, mut bob, mallory, c, mut g) = alice_bob_and_mallory();
        // Mallory's new leaf carries a credential for another account (8) that she controls.
        let other = raw(8);
        let new_signer = openmls::prelude::NewSignerBundle {
            signer: &other.signer,
            credential_with_key: other.cred.clone(),
        };
        let (proposal, _) = g
            .propose_self_update_with_new_signer(
                &mallory.provider,
                &mallory.signer,
                new_signer,
                LeafNodeParameters::default(),
            )
            .unwrap();
        let proposal = proposal.to_bytes().unwrap();
        for who in [&mut alice, &mut bob] {
            match who.receive(&proposal) {
                Err(MlsError::Refused(why)) => assert!(why.contains("another account"), "{why}"),
                other => panic!("{other:?}"),
            }
        }
        assert!(
            alice.commit_pending(&c).unwrap().is_none(),
            "nothing queued"
        );
        assert_eq!(alice.members(&c).unwrap().len(), 3);
    }

    #[test]
    fn a_welcome_in_the_admins_name_from_someone_else_is_refused() {
        let alice = client(0);
        let mut bob = client(1);
        let mallory = raw(9);
        // Mallory makes a group whose id claims alice as its admin, and invites bob.
        let mut id = alice.account().to_vec();
        id.extend_from_slice(&[7; 12]);
        let cfg = MlsGroupCreateConfig::builder()
            .ciphersuite(bithive_bitchat_mls::CIPHERSUITE)
            .use_ratchet_tree_extension(true)
            .build();
        let mut g = MlsGroup::new_with_group_id(
            &mallory.provider,
            &mallory.signer,
            &cfg,
            GroupId::from_slice(&id),
            mallory.cred.clone(),
        )
        .unwrap();
        let (kp, _) = alice
            .check_key_package(&bob.key_package().unwrap())
            .unwrap();
        let (_, welcome, _) = g
            .add_members(&mallory.provider, &mallory.signer, &[kp])
            .unwrap();
        match bob.receive(&welcome.to_bytes().unwrap()) {
            Err(MlsError::Refused(why)) => assert!(why.contains("admin"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(bob.conversations().is_empty());
    }
}
