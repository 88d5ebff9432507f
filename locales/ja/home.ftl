# ホームページ（templates/home.html）。ロールと利用資格は accounts.ftl にあります。

home-title = ホーム
home-welcome = ようこそ、{ $name } さん
home-roles = ロール：
home-roles-none = まだありません
home-notifications = お知らせ
home-accreditation = あなたの利用資格
home-accredited = 利用資格があります：{ accounts-valid-until }。
home-not-accredited = 利用資格がありません：{ accounts-lapse }。研修と誓約は管理者が記録します。
home-training = 研修
home-training-course = 研修名
home-training-completed = 修了日
home-training-expires = 有効期限
home-training-none = 記録はありません。
home-declaration = 誓約：版 { $version }、{ $date }に署名済みです。
home-declaration-none = 誓約：まだ署名されていません。
home-my-projects = あなたのプロジェクト
home-my-projects-none = 参加しているプロジェクトはありません。
home-all-projects = すべてのプロジェクト
home-all-projects-none = プロジェクトはまだありません。
home-col-project = プロジェクト
home-col-status = 状態
home-col-dates = 期間
home-col-role = あなたのロール
# プロジェクトの状態（projects::domain::Status::as_str）。
home-status = { $status ->
    [draft] 下書き
    [approved] 承認済み
    [suspended] 一時停止中
    [closed] 終了
   *[other] { $status }
}
home-dates = { $from } ～ { $until }
# プロジェクト内のロール（projects::domain::ProjectRole::as_str）。
home-project-role = { $role ->
    [principal_investigator] 研究代表者
    [analyst] 解析担当者
    [observer] 閲覧者
   *[other] { $role }
}
home-membership-ended = 参加期間終了
home-administration = 管理
home-administration-people = 利用者・ロール・利用資格
